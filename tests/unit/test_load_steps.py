"""The Year-3 loader's rebuild plan: what each step runs and what it waits for."""

from __future__ import annotations

from typing import Any

from bench.load_steps import Step, rebuild_steps

CONSTRAINTS: list[dict[str, Any]] = [
    {"table_name": "analyses", "name": "analyses_pkey", "kind": "p",
     "definition": "PRIMARY KEY (id)",
     "index_definition": "CREATE UNIQUE INDEX analyses_pkey ON public.analyses USING btree (id)"},
    {"table_name": "audit_logs", "name": "audit_logs_pkey", "kind": "p",
     "definition": "PRIMARY KEY (id, created_at)",
     "index_definition": "CREATE UNIQUE INDEX audit_logs_pkey ON ONLY public.audit_logs "
                         "USING btree (id, created_at)"},
    {"table_name": "turns", "name": "turns_analysis_id_fkey", "kind": "f",
     "definition": "FOREIGN KEY (analysis_id) REFERENCES analyses(id) ON DELETE CASCADE",
     "index_definition": None},
]  # fmt: skip
INDEXES: list[dict[str, Any]] = [
    {"table_name": "audit_logs", "name": "ix_audit_logs_user_id",
     "definition": "CREATE INDEX ix_audit_logs_user_id ON ONLY public.audit_logs "
                   "USING btree (user_id)"},
    {"table_name": "turns", "name": "ix_turns_analysis_id",
     "definition": "CREATE INDEX ix_turns_analysis_id ON public.turns USING btree (analysis_id)"},
]  # fmt: skip
PARTS = {"audit_logs": ["audit_logs_2026_10", "audit_logs_2026_11"]}
TABLES = ["audit_logs", "turns", "analyses", "students"]


def _plan() -> dict[str, Step]:
    steps = rebuild_steps(CONSTRAINTS, INDEXES, PARTS, TABLES)  # type: ignore[arg-type]
    by_label = {s.label: s for s in steps}
    assert len(by_label) == len(steps), "labels are unique"
    return by_label


def test_partitions_are_built_one_by_one_then_attached_on_the_parent() -> None:
    plan = _plan()
    part = plan["audit_logs_2026_11: ix_audit_logs_user_id"]
    assert part.sql == "CREATE INDEX ON audit_logs_2026_11 USING btree (user_id)"
    assert part.after == {"VACUUM audit_logs_2026_11"}
    key = plan["audit_logs_2026_10: audit_logs_pkey"]
    assert key.sql == "ALTER TABLE audit_logs_2026_10 ADD PRIMARY KEY (id, created_at)"
    parent = plan["ix_audit_logs_user_id"]
    assert parent.sql.startswith("CREATE INDEX ix_audit_logs_user_id ON public.audit_logs ")
    assert parent.after == {
        "audit_logs_2026_10: ix_audit_logs_user_id", "audit_logs_2026_11: ix_audit_logs_user_id"
    }  # fmt: skip
    assert plan["audit_logs.audit_logs_pkey"].after == {
        "audit_logs_2026_10: audit_logs_pkey", "audit_logs_2026_11: audit_logs_pkey"
    }  # fmt: skip


def test_a_plain_key_is_an_index_then_the_constraint_using_it() -> None:
    plan = _plan()
    index = plan["analyses.analyses_pkey (index)"]
    assert not index.exclusive and index.after == {"VACUUM analyses"}
    key = plan["analyses.analyses_pkey"]
    assert key.exclusive and key.after == {index.label}
    assert (
        key.sql == "ALTER TABLE analyses ADD CONSTRAINT analyses_pkey PRIMARY KEY USING INDEX "
        "analyses_pkey"
    )


def test_foreign_keys_wait_for_both_tables_and_analyze_waits_for_them() -> None:
    plan = _plan()
    fk = plan["turns.turns_analysis_id_fkey"]
    assert fk.sql[0].endswith(" NOT VALID") and fk.sql[1].endswith(
        "VALIDATE CONSTRAINT turns_analysis_id_fkey"
    )
    assert fk.after == {
        "ix_turns_analysis_id", "analyses.analyses_pkey (index)", "analyses.analyses_pkey"
    }  # fmt: skip
    assert fk.label in plan["ANALYZE analyses"].after
    assert fk.label in plan["ANALYZE turns"].after
    # A table seeded with its indexes is vacuumed with its statistics.
    assert plan["VACUUM ANALYZE students"].after == frozenset()


def test_the_largest_table_comes_first() -> None:
    labels = list(_plan())
    assert labels[0] == "VACUUM audit_logs_2026_10"
    assert labels.index("VACUUM turns") > labels.index("ix_audit_logs_user_id")
