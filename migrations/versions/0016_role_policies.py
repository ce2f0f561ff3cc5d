"""Row-level security by database role: each actor's transaction carries only its role's rules.

0013's policies were one CASE on the actor's role per table. PostgreSQL plans and sets up every
branch of every CASE in every statement (a teacher's turn carried the principal's sub-selects
over the school's students, planned, initialised and never run), and it estimates a CASE at one
half, so a principal's query planned as if half the school's rows were hidden (a sequential
scan of every school's students for `flagged`). bench-turns and bench-summary put that at
12-25 % of an exchange and 25-50 % of a principal's summary.

Now `ge_act_as` ends by switching the transaction to the actor's database role
(`SET LOCAL ROLE growth_engine_teacher`, `_principal`, or `_admin` for admins and the system),
and each table has one policy per role saying only that role's rule: the planner sees exactly
the rule that applies. The rules mean what 0013's branches (0014's school sub-selects) meant;
a principal's set of the school's students is asked per row (EXISTS) rather than built (IN).
The switch happens only for logins of the application group, and never for one that bypasses
row-level security (the owner, the benchmarks' bypassing login): they keep their own rights.

The roles hold the same grants as the application group (copied here, table by table, column
by column for `analyses`), and are members of nothing: the group is NOINHERIT, so a login of
the group does not get the roles' policies unless it switches (its own policies, 0013's,
still show nothing without an actor). A refused or cleared actor switches back first.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

from core.db import APP_ROLE

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEACHER, PRINCIPAL, ADMIN = (
    "growth_engine_teacher",
    "growth_engine_principal",
    "growth_engine_admin",
)
ACTOR_ROLES = (TEACHER, PRINCIPAL, ADMIN)

_SCHOOL = "(SELECT public.ge_actor_school())"
_ME = "(SELECT public.ge_actor_id())"
_MINE = "((SELECT public.ge_teacher_student_ids())::uuid[])"
_OWN_SCHOOL = f"school_id = {_SCHOOL}"


def _of_school_student(table: str) -> str:
    """The row's student is of the actor's school: EXISTS, so the planner costs it per row or
    hashed as it sees fit (`IN (SELECT …)` is always hashed, its build charged again on every
    rescan: at Year 3 `flagged` then read all 91,000 flagged analyses instead of 300)."""
    return (
        f"EXISTS (SELECT 1 FROM public.students s WHERE s.id = {table}.student_id "
        f"AND s.school_id = {_SCHOOL})"
    )


_CONVERSATION = (
    "EXISTS (SELECT 1 FROM public.analyses a WHERE a.id = analysis_conversations.analysis_id)"
)
_FLAG = "EXISTS (SELECT 1 FROM public.analyses a WHERE a.id = analysis_flags.analysis_id)"

# table: ({role: rule}, whether the rule checks writes too). Admins and the system see all.
POLICIES: dict[str, tuple[dict[str, str], bool]] = {
    "students": (
        {PRINCIPAL: _OWN_SCHOOL, TEACHER: f"{_OWN_SCHOOL} AND id = ANY {_MINE}"},
        True,
    ),
    "classes": ({PRINCIPAL: _OWN_SCHOOL, TEACHER: _OWN_SCHOOL}, True),
    "class_enrollments": (
        {
            PRINCIPAL: "EXISTS (SELECT 1 FROM public.classes c "
            f"WHERE c.id = class_enrollments.class_id AND c.school_id = {_SCHOOL})",
            TEACHER: "EXISTS (SELECT 1 FROM public.classes c "
            "WHERE c.id = class_enrollments.class_id)",
        },
        True,
    ),
    "analyses": (
        {
            PRINCIPAL: _of_school_student("analyses"),
            TEACHER: f"teacher_id = {_ME} OR student_id = ANY {_MINE}",
        },
        True,
    ),
    "analysis_conversations": ({PRINCIPAL: _CONVERSATION, TEACHER: _CONVERSATION}, True),
    "analysis_flags": (
        {PRINCIPAL: _of_school_student("analysis_flags"), TEACHER: _FLAG},
        False,
    ),
    "analysis_themes": (
        {
            PRINCIPAL: _of_school_student("analysis_themes"),
            TEACHER: _of_school_student("analysis_themes"),
        },
        False,
    ),
}

# Cluster-wide, shared by every database on the server: made when missing; a concurrent
# creator or granter wins without failing this migration.
_ENSURE = """
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
    BEGIN
      CREATE ROLE {role} NOLOGIN NOINHERIT;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END IF;
  IF NOT pg_has_role('{app}', '{role}', 'MEMBER') THEN
    BEGIN
      GRANT {role} TO {app};
    EXCEPTION WHEN OTHERS THEN
      IF NOT pg_has_role('{app}', '{role}', 'MEMBER') THEN RAISE; END IF;
    END;
  END IF;
END
$$
"""
# The group must not inherit the roles' rights or policies: it only switches to them.
_NOINHERIT = f"""
DO $$
BEGIN
  IF (SELECT rolinherit FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
    BEGIN
      ALTER ROLE {APP_ROLE} NOINHERIT;
    EXCEPTION WHEN OTHERS THEN
      IF (SELECT rolinherit FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN RAISE; END IF;
    END;
  END IF;
END
$$
"""
# The group's grants in this database, table by table and column by column, given to `role`.
_COPY_GRANTS = f"""
DO $$
DECLARE
  g record;
BEGIN
  EXECUTE 'GRANT USAGE ON SCHEMA public TO {{role}}';
  EXECUTE 'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {{role}}';
  FOR g IN SELECT table_name, privilege_type FROM information_schema.role_table_grants
            WHERE grantee = '{APP_ROLE}' AND table_schema = 'public' LOOP
    EXECUTE format('GRANT %s ON public.%I TO {{role}}', g.privilege_type, g.table_name);
  END LOOP;
  FOR g IN SELECT c.table_name, c.privilege_type,
                  string_agg(quote_ident(c.column_name), ', ') AS columns
             FROM information_schema.column_privileges c
            WHERE c.grantee = '{APP_ROLE}' AND c.table_schema = 'public'
              AND NOT EXISTS (SELECT 1 FROM information_schema.role_table_grants t
                               WHERE t.grantee = '{APP_ROLE}' AND t.table_schema = 'public'
                                 AND t.table_name = c.table_name
                                 AND t.privilege_type = c.privilege_type)
            GROUP BY c.table_name, c.privilege_type LOOP
    EXECUTE format('GRANT %s (%s) ON public.%I TO {{role}}', g.privilege_type, g.columns,
                   g.table_name);
  END LOOP;
END
$$
"""
_REVOKE_GRANTS = (
    "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
    "REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}",
    "REVOKE ALL ON SCHEMA public FROM {role}",
)
_DEFAULTS = (
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public {verb} SELECT, INSERT, UPDATE ON TABLES {to} {role}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public {verb} USAGE, SELECT ON SEQUENCES {to} {role}",
)

# 0010's guard of a new audit partition, revoking what default privileges give the actor roles
# too (they read and append through the parent only, as the group does).
_GUARD = """
CREATE OR REPLACE FUNCTION public.ge_audit_guard_partition(part regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('REVOKE ALL ON %s FROM {revoke_from}', part);
  EXECUTE format('GRANT SELECT, INSERT ON %s TO {app}', part);
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
GUARD_WITH_ROLES = _GUARD.format(revoke_from=", ".join((APP_ROLE, *ACTOR_ROLES)), app=APP_ROLE)
GUARD_BEFORE = _GUARD.format(revoke_from=APP_ROLE, app=APP_ROLE)

# 0015's ge_act_as with the switch: back to the login first, to the actor's role last.
_ACT_AS = """
CREATE OR REPLACE FUNCTION public.ge_act_as(p_user uuid, p_role text, p_school uuid)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  found_user record;
  switching boolean;
BEGIN
  -- Cleared first: a refused actor leaves a transaction that sees no student data.
  PERFORM set_config('ge.user_id', '', true), set_config('ge.role', '', true),
          set_config('ge.school_id', '', true), set_config('ge.roster_epoch', '', true){reset};
  {switching}
  IF p_user IS NULL THEN
    IF p_role = 'SYSTEM' THEN
      PERFORM set_config('ge.role', 'SYSTEM', true){to_admin};
      RETURN NULL;
    END IF;
    RETURN 'unknown_user';
  END IF;
  SELECT u.role::text AS role, u.school_id, u.is_active, u.deleted_at,
         s.deleted_at AS school_deleted_at,
         (SELECT e.n FROM public.ge_roster_epoch e) AS epoch
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
          set_config('ge.school_id', found_user.school_id::text, true),
          set_config('ge.roster_epoch', found_user.epoch::text, true){to_role};
  RETURN NULL;
END
$$"""
_SWITCHING = f"""-- Only a login of the application group switches; one that bypasses row-level
  -- security (the owner, a benchmark's bypassing login) keeps its own rights.
  switching := pg_has_role(session_user, '{APP_ROLE}', 'MEMBER')
               AND NOT (SELECT r.rolsuper OR r.rolbypassrls FROM pg_roles r
                         WHERE r.rolname = session_user);"""
ACT_AS_SWITCHING = _ACT_AS.format(
    reset=",\n          set_config('role', 'none', true)",
    switching=_SWITCHING,
    to_admin=",\n        set_config('role', "
    f"CASE WHEN switching THEN '{ADMIN}' ELSE 'none' END, true)",
    to_role=",\n          set_config('role', CASE WHEN NOT switching THEN 'none' "
    f"WHEN found_user.role = 'TEACHER' THEN '{TEACHER}' "
    f"WHEN found_user.role = 'PRINCIPAL' THEN '{PRINCIPAL}' ELSE '{ADMIN}' END, true)",
)
ACT_AS_BEFORE = _ACT_AS.format(reset="", switching="switching := false;", to_admin="", to_role="")


def _short(role: str) -> str:
    return role.removeprefix("growth_engine_")


def upgrade() -> None:
    for role in ACTOR_ROLES:
        op.execute(_ENSURE.format(role=role, app=APP_ROLE))
        op.execute(_COPY_GRANTS.format(role=role))
        for statement in _DEFAULTS:
            op.execute(statement.format(verb="GRANT", to="TO", role=role))
    op.execute(_NOINHERIT)
    op.execute(GUARD_WITH_ROLES)
    for table, (rules, checks_writes) in POLICIES.items():
        for role in ACTOR_ROLES:
            rule = rules.get(role, "true")
            check = f" WITH CHECK ({rule})" if checks_writes else ""
            op.execute(
                f"CREATE POLICY {table}_{_short(role)} ON {table} TO {role} USING ({rule}){check}"
            )
    op.execute(ACT_AS_SWITCHING)


def downgrade() -> None:
    op.execute(ACT_AS_BEFORE)
    op.execute(GUARD_BEFORE)
    for table in POLICIES:
        for role in ACTOR_ROLES:
            op.execute(f"DROP POLICY {table}_{_short(role)} ON {table}")
    # The roles and the group's membership are the server's, shared with other databases:
    # they stay; this database's grants to them go.
    for role in ACTOR_ROLES:
        for statement in _DEFAULTS:
            op.execute(statement.format(verb="REVOKE", to="FROM", role=role))
        for statement in _REVOKE_GRANTS:
            op.execute(statement.format(role=role))
