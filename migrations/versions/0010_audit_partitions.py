"""audit_logs partitioned by month (range on created_at), moved in place with its rows.

Seven years of audit rows are too many for one table: by month, a month older than the retention
period leaves by DETACH and DROP once its archive is verified (`growth-engine audit drop-month`),
instead of row by row. Partitions are created ahead by `growth-engine audit partitions` (serve
refuses to start without this month's and next month's); a DEFAULT partition keeps an audit
write from failing for a month nobody created (a row dated far back, a missed run).

The immutability rule holds on every partition: the row trigger on the parent is cloned to
each partition (PostgreSQL does so for partitions created later too), and TRUNCATE, a
statement trigger that is not cloned, is added to each partition by `ge_audit_partition`, the
one function that creates them. The primary key becomes (id, created_at), as a key of a
partitioned table must hold the partition key.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

from core.db import APP_ROLE

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONTHS_AHEAD = 3

# Immutability of one partition (or the default): TRUNCATE refused, the row triggers ALWAYS on.
# The application role reads and appends through the parent only; on a partition, as on the
# parent, it may SELECT and INSERT, never UPDATE, DELETE or TRUNCATE (0007's rule for audit_logs;
# the owner's default privileges would otherwise give each new partition UPDATE).
GUARD_SQL = f"""
CREATE FUNCTION public.ge_audit_guard_partition(part regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('REVOKE ALL ON %s FROM {APP_ROLE}', part);
  EXECUTE format('GRANT SELECT, INSERT ON %s TO {APP_ROLE}', part);
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = part
                 AND tgname = 'audit_logs_no_truncate') THEN
    EXECUTE format('CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION public.ge_audit_logs_immutable()', part);
  END IF;
  -- ALWAYS: the triggers fire even under session_replication_role = replica.
  EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER audit_logs_no_truncate', part);
  EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER audit_logs_immutable', part);
END
$$
"""

# The month's partition (UTC month bounds), created if missing; its name either way.
PARTITION_SQL = """
CREATE FUNCTION public.ge_audit_partition(month date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  first date := date_trunc('month', month)::date;
  name text := 'audit_logs_' || to_char(first, 'YYYY_MM');
BEGIN
  IF to_regclass('public.' || name) IS NULL THEN
    EXECUTE format('CREATE TABLE public.%I PARTITION OF public.audit_logs '
                   'FOR VALUES FROM (%L) TO (%L)', name,
                   (first::timestamp AT TIME ZONE 'UTC'),
                   ((first + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
    PERFORM public.ge_audit_guard_partition(('public.' || name)::regclass);
  END IF;
  RETURN name;
END
$$
"""

INDEXES = (
    "CREATE INDEX ix_audit_logs_user_id ON audit_logs (user_id)",
    "CREATE INDEX ix_audit_logs_resource_id ON audit_logs (resource_id)",
    "CREATE INDEX ix_audit_logs_action ON audit_logs (action)",
    "CREATE INDEX ix_audit_logs_created_at ON audit_logs (created_at)",
    "CREATE INDEX idx_audit_logs_resource ON audit_logs (resource, resource_id, created_at DESC)",
    "CREATE INDEX idx_audit_logs_user_date ON audit_logs (user_id, created_at DESC)",
    "CREATE INDEX idx_audit_logs_student_ids ON audit_logs USING gin ((metadata -> 'studentIds'))",
)
INDEX_NAMES = [sql.split()[2] for sql in INDEXES]
# `audit user` matches the address too (rows kept after an account is anonymised); without an
# index on it the OR cannot be a bitmap, and a partitioned table walks every month by time.
EMAIL_INDEX = (
    "CREATE INDEX ix_audit_logs_user_email_date ON audit_logs (lower(user_email), created_at DESC)"
)


def _set_aside(old: str, *extra: str) -> None:
    op.execute(f"ALTER TABLE audit_logs RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT audit_logs_pkey TO {old}_pkey")
    for name in [*INDEX_NAMES, *extra]:
        op.execute(f"DROP INDEX {name}")


def _guard_parent() -> None:
    op.execute(
        "CREATE TRIGGER audit_logs_immutable BEFORE UPDATE OR DELETE ON audit_logs "
        "FOR EACH ROW EXECUTE FUNCTION public.ge_audit_logs_immutable()"
    )
    op.execute(
        "CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs "
        "FOR EACH STATEMENT EXECUTE FUNCTION public.ge_audit_logs_immutable()"
    )
    op.execute("ALTER TABLE audit_logs ENABLE ALWAYS TRIGGER audit_logs_immutable")
    op.execute("ALTER TABLE audit_logs ENABLE ALWAYS TRIGGER audit_logs_no_truncate")


def _app_appends_only() -> None:
    # A table made here gets the owner's default privileges (SELECT, INSERT, UPDATE): the
    # audit trail keeps 0007's INSERT and SELECT only.
    op.execute(f"REVOKE ALL ON audit_logs FROM {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT ON audit_logs TO {APP_ROLE}")


def upgrade() -> None:
    old = "audit_logs_unpartitioned"
    _set_aside(old)
    op.execute(
        f"CREATE TABLE audit_logs (LIKE {old} INCLUDING DEFAULTS INCLUDING COMMENTS) "
        "PARTITION BY RANGE (created_at)"
    )
    op.execute("ALTER TABLE audit_logs ADD CONSTRAINT audit_logs_pkey PRIMARY KEY (id, created_at)")
    _guard_parent()
    _app_appends_only()
    op.execute(GUARD_SQL)
    op.execute(PARTITION_SQL)
    # Every month that holds rows, through this one and MONTHS_AHEAD more.
    op.execute(
        f"""
        SELECT public.ge_audit_partition(m::date)
        FROM generate_series(
          date_trunc('month',
                     coalesce((SELECT min(created_at) FROM {old}), now()) AT TIME ZONE 'UTC'),
          date_trunc('month', now() AT TIME ZONE 'UTC') + interval '{MONTHS_AHEAD} months',
          interval '1 month') m
        """
    )
    op.execute("CREATE TABLE audit_logs_default PARTITION OF audit_logs DEFAULT")
    op.execute("SELECT public.ge_audit_guard_partition('public.audit_logs_default')")
    op.execute(f"INSERT INTO audit_logs SELECT * FROM {old}")
    for sql in [*INDEXES, EMAIL_INDEX]:
        op.execute(sql)
    op.execute(f"DROP TABLE {old}")


def downgrade() -> None:
    old = "audit_logs_partitioned"
    _set_aside(old, EMAIL_INDEX.split()[2])
    op.execute(f"CREATE TABLE audit_logs (LIKE {old} INCLUDING DEFAULTS INCLUDING COMMENTS)")
    op.execute("ALTER TABLE audit_logs ADD CONSTRAINT audit_logs_pkey PRIMARY KEY (id)")
    _guard_parent()
    _app_appends_only()
    op.execute(f"INSERT INTO audit_logs SELECT * FROM {old}")
    for sql in INDEXES:
        op.execute(sql)
    op.execute(f"DROP TABLE {old}")
    op.execute("DROP FUNCTION public.ge_audit_partition(date)")
    op.execute("DROP FUNCTION public.ge_audit_guard_partition(regclass)")
