"""Least privilege and row-level security: the application role, its grants, RLS policies,
the per-transaction actor, hashed link codes and a watch on DDL touching the audit trail.

The owner (whoever runs `growth-engine db upgrade`) owns every object and bypasses RLS. The
application connects as a login role that is a member of APP_ROLE (see `adapters/roles.py`):
SELECT, INSERT, UPDATE on ordinary tables, INSERT and SELECT only on `audit_logs`, no DELETE,
no TRUNCATE, no DDL. ALTER DEFAULT PRIVILEGES gives tables that later migrations create (run by
the same owner) the ordinary grants; a table the app must not update revokes it itself.

RLS keys on `ge.user_id`, `ge.role`, `ge.school_id`, set for one transaction by `ge_act_as`,
which also checks that the acting user is live (one statement: see `core/uow.py`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

from core.db import APP_ROLE

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Roles are cluster-wide and several databases (tests, checkouts) share one server: create it
# only when missing, and let a concurrent creator win without failing this migration.
CREATE_APP_ROLE = f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
    BEGIN
      CREATE ROLE {APP_ROLE} NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END IF;
END
$$
"""

GRANTS = (
    # PostgreSQL < 15 lets every role create in `public`; 15+ already does not.
    "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
    f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}",
    f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}",
    f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}",
    f"REVOKE UPDATE ON audit_logs FROM {APP_ROLE}",
    f"REVOKE INSERT, UPDATE ON alembic_version FROM {APP_ROLE}",
    # The inbox prunes answered events and sent replies past their retention (core/inbox.py):
    # the only DELETE the application has, on its own queues, never on student data.
    f"GRANT DELETE ON inbox_events, outbox_replies TO {APP_ROLE}",
    # Tables and sequences created later by this owner get the ordinary grants automatically.
    f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE ON TABLES "
    f"TO {APP_ROLE}",
    f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}",
)
REVOKES = (
    f"REVOKE DELETE ON inbox_events, outbox_replies FROM {APP_ROLE}",
    f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE ON TABLES "
    f"FROM {APP_ROLE}",
    f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES "
    f"FROM {APP_ROLE}",
    f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE}",
    f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE}",
    f"REVOKE ALL ON SCHEMA public FROM {APP_ROLE}",
)

ACT_AS_SQL = """
CREATE FUNCTION public.ge_act_as(p_user uuid, p_role text, p_school uuid) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  found_user record;
BEGIN
  -- Cleared first: a refused actor leaves a transaction that sees no student data.
  PERFORM set_config('ge.user_id', '', true), set_config('ge.role', '', true),
          set_config('ge.school_id', '', true);
  IF p_user IS NULL THEN
    IF p_role = 'SYSTEM' THEN
      PERFORM set_config('ge.role', 'SYSTEM', true);
      RETURN NULL;
    END IF;
    RETURN 'unknown_user';
  END IF;
  SELECT u.role::text AS role, u.school_id, u.is_active, u.deleted_at,
         s.deleted_at AS school_deleted_at
    INTO found_user
    FROM users u JOIN schools s ON s.id = u.school_id
   WHERE u.id = p_user;
  IF NOT FOUND THEN RETURN 'unknown_user'; END IF;
  IF found_user.deleted_at IS NOT NULL THEN RETURN 'user_deleted'; END IF;
  IF NOT found_user.is_active THEN RETURN 'user_inactive'; END IF;
  IF found_user.school_deleted_at IS NOT NULL THEN RETURN 'school_deleted'; END IF;
  IF found_user.role <> p_role OR found_user.school_id IS DISTINCT FROM p_school THEN
    RETURN 'role_changed';
  END IF;
  PERFORM set_config('ge.user_id', p_user::text, true),
          set_config('ge.role', found_user.role, true),
          set_config('ge.school_id', found_user.school_id::text, true);
  RETURN NULL;
END
$$
"""

HELPERS_SQL = (
    """
CREATE FUNCTION public.ge_actor_role() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('ge.role', true), '')
$$""",
    """
CREATE FUNCTION public.ge_actor_id() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('ge.user_id', true), '')::uuid
$$""",
    """
CREATE FUNCTION public.ge_actor_school() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('ge.school_id', true), '')::uuid
$$""",
    # The acting teacher's students: enrolled (ever) in a class they teach, or the subject of
    # an analysis they wrote. Broader than core/policy.py (which also hides dropped rows), never
    # narrower, so the application's own filter always decides. SECURITY DEFINER reads past RLS
    # once per statement (callers wrap it in a sub-SELECT, which PostgreSQL runs as an InitPlan).
    """
CREATE FUNCTION public.ge_teacher_student_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(DISTINCT student_id), '{}') FROM (
    SELECT e.student_id FROM class_enrollments e JOIN classes c ON c.id = e.class_id
     WHERE c.teacher_id = public.ge_actor_id()
    UNION ALL
    SELECT a.student_id FROM analyses a WHERE a.teacher_id = public.ge_actor_id()
  ) AS mine
$$""",
    # Private notes only for the teacher who wrote the analysis (and an admin's full record);
    # the column itself is not readable by the application role, so a forgotten check in a
    # principal's transaction cannot leak them.
    """
CREATE FUNCTION public.ge_private_notes(p_analysis uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT a.private_notes FROM analyses a
   WHERE a.id = p_analysis
     AND (public.ge_actor_role() IN ('ADMIN', 'SYSTEM')
          OR (public.ge_actor_role() = 'TEACHER' AND a.teacher_id = public.ge_actor_id()))
$$""",
    # A school's analyses in a period, for its monthly quota: a teacher's quota counts their
    # colleagues' analyses too, which RLS rightly hides from them row by row. Only the count,
    # and only for the actor's own school (or an admin and the system).
    """
CREATE FUNCTION public.ge_school_analyses_between(
  p_school uuid, p_from timestamptz, p_to timestamptz
) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT count(*) FROM analyses a JOIN students s ON s.id = a.student_id
   WHERE s.school_id = p_school AND a.created_at >= p_from AND a.created_at < p_to
     AND (public.ge_actor_role() IN ('ADMIN', 'SYSTEM') OR public.ge_actor_school() = p_school)
$$""",
)
HELPER_FUNCTIONS = (
    "ge_school_analyses_between(uuid, timestamptz, timestamptz)",
    "ge_private_notes(uuid)",
    "ge_teacher_student_ids()",
    "ge_actor_school()",
    "ge_actor_id()",
    "ge_actor_role()",
    "ge_act_as(uuid, text, uuid)",
)

_ANY = "(SELECT public.ge_actor_role()) IN ('ADMIN', 'SYSTEM')"
_SCHOOL = "(SELECT public.ge_actor_school())"
_ME = "(SELECT public.ge_actor_id())"
_PRINCIPAL = "(SELECT public.ge_actor_role()) = 'PRINCIPAL'"
_TEACHER = "(SELECT public.ge_actor_role()) = 'TEACHER'"
POLICIES = {
    "students": f"{_ANY} OR ({_PRINCIPAL} AND school_id = {_SCHOOL}) OR ({_TEACHER} AND "
    f"school_id = {_SCHOOL} AND id = ANY ((SELECT public.ge_teacher_student_ids())::uuid[]))",
    "classes": f"{_ANY} OR ({_PRINCIPAL} AND school_id = {_SCHOOL}) OR "
    f"({_TEACHER} AND school_id = {_SCHOOL})",
    # Visible with their class (whose policy applies inside): a hashed semi-join, built once
    # per statement over the few visible classes, rather than a lookup per enrollment row.
    "class_enrollments": f"{_ANY} OR class_enrollments.class_id IN (SELECT c.id FROM classes c)",
    # An author always sees their own; a teacher also their students' (one array per statement),
    # a principal their school's (a hashed semi-join over the school's students, built only
    # when the actor is a principal: the role test is an InitPlan evaluated first).
    "analyses": f"{_ANY} OR ({_TEACHER} AND (teacher_id = {_ME} OR "
    "student_id = ANY ((SELECT public.ge_teacher_student_ids())::uuid[]))) OR "
    f"({_PRINCIPAL} AND analyses.student_id IN "
    f"(SELECT s.id FROM students s WHERE s.school_id = {_SCHOOL}))",
    "analysis_conversations": f"{_ANY} OR "
    "EXISTS (SELECT 1 FROM analyses a WHERE a.id = analysis_conversations.analysis_id)",
}

AUDIT_DDL_TABLE = "audit_ddl_events"
WATCH_SQL = f"""
CREATE TABLE public.{AUDIT_DDL_TABLE} (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  session_user_name text NOT NULL DEFAULT session_user,
  command_tag text NOT NULL,
  object_identity text NOT NULL
)
-- next
CREATE TRIGGER {AUDIT_DDL_TABLE}_immutable BEFORE UPDATE OR DELETE ON public.{AUDIT_DDL_TABLE}
  FOR EACH ROW EXECUTE FUNCTION public.ge_audit_logs_immutable()
-- next
CREATE TRIGGER {AUDIT_DDL_TABLE}_no_truncate BEFORE TRUNCATE ON public.{AUDIT_DDL_TABLE}
  FOR EACH STATEMENT EXECUTE FUNCTION public.ge_audit_logs_immutable()
-- next
ALTER TABLE public.{AUDIT_DDL_TABLE} ENABLE ALWAYS TRIGGER {AUDIT_DDL_TABLE}_immutable
-- next
ALTER TABLE public.{AUDIT_DDL_TABLE} ENABLE ALWAYS TRIGGER {AUDIT_DDL_TABLE}_no_truncate
-- next
CREATE FUNCTION public.ge_watch_audit_ddl() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  command record;
BEGIN
  FOR command IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
    IF command.object_identity LIKE 'public.audit_%'
       OR command.object_identity LIKE '% on public.audit_%' THEN
      -- The server log is outside the database owner's reach; the table is for queries.
      RAISE WARNING 'audit trail DDL by %: % %', session_user, command.command_tag,
        command.object_identity;
      INSERT INTO public.{AUDIT_DDL_TABLE} (command_tag, object_identity)
        VALUES (command.command_tag, command.object_identity);
    END IF;
  END LOOP;
END
$$
-- next
CREATE FUNCTION public.ge_watch_audit_drop() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  dropped record;
BEGIN
  FOR dropped IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
    IF dropped.object_identity LIKE 'public.audit_%'
       OR dropped.object_identity LIKE '% on public.audit_%' THEN
      RAISE WARNING 'audit trail DROP by %: % %', session_user, dropped.object_type,
        dropped.object_identity;
      IF dropped.object_identity NOT LIKE 'public.{AUDIT_DDL_TABLE}%' THEN
        INSERT INTO public.{AUDIT_DDL_TABLE} (command_tag, object_identity)
          VALUES ('DROP ' || upper(dropped.object_type), dropped.object_identity);
      END IF;
    END IF;
  END LOOP;
END
$$;
"""
EVENT_TRIGGERS_SQL = """
CREATE EVENT TRIGGER ge_watch_audit_ddl ON ddl_command_end
  EXECUTE FUNCTION public.ge_watch_audit_ddl()
-- next
CREATE EVENT TRIGGER ge_watch_audit_drop ON sql_drop
  EXECUTE FUNCTION public.ge_watch_audit_drop();
"""

# Every column of analyses but private_notes (columns added later need their own grant).
GRANT_ANALYSES_BUT_NOTES = f"""
DO $$
BEGIN
  EXECUTE (
    SELECT 'GRANT SELECT (' || string_agg(quote_ident(attname), ', ' ORDER BY attnum)
           || ') ON analyses TO {APP_ROLE}'
      FROM pg_attribute
     WHERE attrelid = 'public.analyses'::regclass AND attnum > 0 AND NOT attisdropped
       AND attname <> 'private_notes'
  );
END
$$
"""

# Hash the codes already issued, so they keep working under the new lookup.
HASH_LINK_CODES = "UPDATE link_codes SET code = encode(sha256(convert_to(code, 'UTF8')), 'hex')"


def _statements(script: str) -> list[str]:
    """The statements of a script, separated by `-- next` lines (asyncpg runs one at a time)."""
    return [part.strip().rstrip(";") for part in script.split("\n-- next\n") if part.strip()]


def _is_superuser() -> bool:
    return bool(op.get_bind().exec_driver_sql("SELECT rolsuper FROM pg_roles WHERE rolname = "
                                              "current_user").scalar())


def upgrade() -> None:
    op.execute(CREATE_APP_ROLE)
    op.execute(ACT_AS_SQL)
    for sql in HELPERS_SQL:
        op.execute(sql)
    for statement in _statements(WATCH_SQL):
        op.execute(statement)
    # Event triggers need a superuser; an owner without it is watched by the DBA instead.
    if _is_superuser():
        for statement in _statements(EVENT_TRIGGERS_SQL):
            op.execute(statement)
    for statement in GRANTS:
        op.execute(statement)
    op.execute(f"REVOKE ALL ON {AUDIT_DDL_TABLE} FROM {APP_ROLE}")
    op.execute(f"GRANT SELECT ON {AUDIT_DDL_TABLE} TO {APP_ROLE}")
    # Private notes: readable only through ge_private_notes; still writable by the author.
    op.execute(f"REVOKE SELECT ON analyses FROM {APP_ROLE}")
    op.execute(GRANT_ANALYSES_BUT_NOTES)
    for table, condition in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {table}_actor ON {table} TO {APP_ROLE} "
            f"USING ({condition}) WITH CHECK ({condition})"
        )
    op.execute(HASH_LINK_CODES)


def downgrade() -> None:
    for table in POLICIES:
        op.execute(f"DROP POLICY IF EXISTS {table}_actor ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP EVENT TRIGGER IF EXISTS ge_watch_audit_drop")
    op.execute("DROP EVENT TRIGGER IF EXISTS ge_watch_audit_ddl")
    op.execute("DROP FUNCTION IF EXISTS public.ge_watch_audit_drop()")
    op.execute("DROP FUNCTION IF EXISTS public.ge_watch_audit_ddl()")
    op.execute(f"DROP TABLE IF EXISTS public.{AUDIT_DDL_TABLE}")
    for function in HELPER_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS public.{function}")
    # The role itself stays: it is cluster-wide and other databases may use it.
    for statement in REVOKES:
        op.execute(statement)
    # Link codes stay hashed: codes issued before the upgrade cannot be recovered.
