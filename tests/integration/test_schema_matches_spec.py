"""The live, migrated database against the schema specification, read from the spec itself."""

from __future__ import annotations

import asyncpg
import pytest

from tests.spec import SHARED_SPEC, VENDORED_SPEC, normalise_index_sql, parse, spec_text

SPEC = parse(spec_text())
OUR_TABLES = {
    "chat_identities",
    "link_codes",
    "dialogue_states",
    "inbox_events",
    "outbox_replies",
    "alembic_version",
    "analysis_flags",
    "analysis_themes",  # summary theme keys, written by 0011's trigger
    "audit_ddl_events",  # DDL touching the audit trail, written by 0007's event trigger
    "ge_roster_epoch",  # row-level security's roster counter, kept by 0015's triggers
}
# Row-level security's per-role rules, which policies read instead of nesting (0015).
OUR_VIEWS = {
    "ge_school_classes",
    "ge_principal_students",
    "ge_principal_analyses",
    "ge_teacher_analyses",
}
# Columns beyond the spec: stored Hebrew sort keys and the folded search text (Core issue).
EXTRA_COLUMNS = {
    ("students", "sort_key"),
    ("students", "search_text"),
    ("students", "first_fold"),
    ("students", "last_fold"),
    ("users", "sort_key"),
    ("classes", "sort_key"),  # the name's Hebrew-order key, stored by 0026
    ("schools", "sort_key"),  # the name's Hebrew-order key, stored by 0026
    ("analyses", "school_id"),  # the student's school, kept by 0017's trigger for RLS
    ("analyses", "failure_reason"),  # why a FAILED one failed, written with its status (0021)
    ("analyses", "export_sections"),  # the sections as CSV cells, generated (0027)
    ("class_enrollments", "school_id"),  # the class's school, kept by 0022's trigger for RLS
}


def test_vendored_spec_is_current() -> None:
    if SHARED_SPEC.exists():
        assert VENDORED_SPEC.read_text("utf-8") == SHARED_SPEC.read_text("utf-8")
    assert VENDORED_SPEC.exists()


def test_spec_parser_sees_all_nine_tables_and_the_sql_indexes() -> None:
    assert len(SPEC.tables) == 9
    assert len(SPEC.sql_indexes) == 10
    assert len(SPEC.enums) == 5


async def test_tables_are_exactly_the_specs_plus_chat_identities(raw: asyncpg.Connection) -> None:
    # A partition (audit_logs by month) is part of its table, not a table of its own.
    rows = await raw.fetch(
        "SELECT table_name FROM information_schema.tables t "
        "JOIN pg_class c ON c.relname = t.table_name AND c.relnamespace = 'public'::regnamespace "
        "WHERE t.table_schema = 'public' AND NOT c.relispartition "
        "AND t.table_type = 'BASE TABLE'"
    )
    assert {r["table_name"] for r in rows} == set(SPEC.tables) | OUR_TABLES
    views = await raw.fetch("SELECT table_name FROM information_schema.views "
                            "WHERE table_schema = 'public'")  # fmt: skip
    assert {r["table_name"] for r in views} == OUR_VIEWS


@pytest.mark.parametrize("table", sorted(SPEC.tables))
async def test_columns_types_and_nullability_match_spec(
    raw: asyncpg.Connection, table: str
) -> None:
    rows = await raw.fetch(
        "SELECT column_name, data_type, udt_name, is_nullable FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = $1",
        table,
    )
    live = {r["column_name"]: r for r in rows}
    expected = SPEC.tables[table].columns
    assert set(live) - {c for t, c in EXTRA_COLUMNS if t == table} == set(expected)
    for name, column in expected.items():
        row = live[name]
        if column.is_enum:
            assert (row["data_type"], row["udt_name"]) == ("USER-DEFINED", column.sql_type), name
        else:
            assert row["data_type"] == column.sql_type, name
        assert (row["is_nullable"] == "YES") == column.nullable, name
    assert live["id"]["udt_name"] == "uuid"


async def test_enum_types_have_the_specs_values(raw: asyncpg.Connection) -> None:
    rows = await raw.fetch(
        "SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels "
        "FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname"
    )
    live = {r["typname"]: list(r["labels"]) for r in rows}
    for name, values in SPEC.enums.items():
        type_name = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
        assert live[type_name] == values


async def test_uuid_primary_keys_default_to_generated_values(raw: asyncpg.Connection) -> None:
    rows = await raw.fetch(
        "SELECT c.table_name, c.column_default FROM information_schema.columns c "
        "JOIN information_schema.tables t USING (table_schema, table_name) "
        "WHERE c.table_schema = 'public' AND c.column_name = 'id' "
        "AND t.table_type = 'BASE TABLE'"
    )
    assert {r["table_name"] for r in rows} >= set(SPEC.tables)
    assert all(r["column_default"] == "gen_random_uuid()" for r in rows)


@pytest.mark.parametrize("table", sorted(SPEC.tables))
async def test_foreign_keys_and_delete_rules_match_spec(
    raw: asyncpg.Connection, table: str
) -> None:
    rows = await raw.fetch(
        """
        SELECT kcu.column_name, ccu.table_name AS target, rc.delete_rule
        FROM information_schema.referential_constraints rc
        JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = rc.constraint_name
        JOIN information_schema.constraint_column_usage ccu
          ON ccu.constraint_name = rc.constraint_name
        WHERE kcu.table_name = $1
        """,
        table,
    )
    live = {(r["column_name"], r["target"], r["delete_rule"]) for r in rows}
    expected = {(fk.column, fk.table, fk.on_delete) for fk in SPEC.tables[table].foreign_keys}
    assert live == expected


async def _index_columns(
    raw: asyncpg.Connection, table: str
) -> dict[str, tuple[bool, tuple[str, ...]]]:
    rows = await raw.fetch(
        """
        SELECT i.relname AS name, ix.indisunique AS is_unique, ix.indpred IS NOT NULL AS partial,
               array_agg(a.attname ORDER BY k.ord) AS columns
        FROM pg_index ix
        JOIN pg_class i ON i.oid = ix.indexrelid
        JOIN pg_class t ON t.oid = ix.indrelid
        JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
        WHERE t.relname = $1 AND NOT ix.indisprimary
        GROUP BY i.relname, ix.indisunique, ix.indpred
        """,
        table,
    )
    return {r["name"]: (r["is_unique"], tuple(r["columns"])) for r in rows if not r["partial"]}


@pytest.mark.parametrize("table", sorted(SPEC.tables))
async def test_every_model_index_and_unique_exists(raw: asyncpg.Connection, table: str) -> None:
    live = await _index_columns(raw, table)
    plain = {cols for _unique, cols in live.values()}
    unique = {cols for is_unique, cols in live.values() if is_unique}
    for columns in SPEC.tables[table].indexes:
        assert columns in plain, f"{table}: missing index on {columns}"
    for columns in SPEC.tables[table].uniques:
        assert columns in unique, f"{table}: missing unique on {columns}"


@pytest.mark.parametrize("name", sorted(SPEC.sql_indexes))
async def test_search_and_filtering_indexes_match_spec_sql(
    raw: asyncpg.Connection, name: str
) -> None:
    definition = await raw.fetchval(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname = $1", name
    )
    assert definition is not None, f"index {name} missing"
    # An index of a partitioned table prints as ON ONLY; it is built on every partition.
    definition = definition.replace(" ON ONLY ", " ON ", 1)
    assert normalise_index_sql(definition) == SPEC.sql_indexes[name]
