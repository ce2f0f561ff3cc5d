"""Row-level security at the cost of the rows it checks: flat policies, a teacher's set kept.

Measured per statement of the exchange (pg_stat_statements and perf on a backend, bench-turns'
database), the policies of 0013/0014 cost a teacher's turn about half again its Postgres CPU:
- Policies nested: a turn's policy asked for its analysis, whose policy asked for students,
  whose policy carried every role's branch again. Every reference brought that whole tree
  into the plan (a turn statement: 47 InitPlans, 41 nodes never run but set up each time), and
  the planner, costing branches it would never take, chose for a teacher's 14 turns a hashed
  scan of every analysis in the database, checking the policy on each.
  Now the rule a policy borrows from its parent is a view owned by the tables' owner (so no
  policy inside it applies again), saying for one role what that parent's policy says:
  `ge_school_classes` (the classes policy for a principal or teacher), `ge_principal_students`,
  `ge_principal_analyses` and `ge_teacher_analyses`. Each returns ids only, only those the
  actor's own policy would show, and is a security barrier; the application may only read it.
- `ge_teacher_student_ids()` worked the teacher's set out (their classes' enrollments and the
  analyses they wrote) in every transaction, about 0.1 ms, three or four times an exchange.
  Now it is kept on the connection under the teacher's id and the roster's epoch, a counter
  that every change able to widen or narrow a set bumps in the same transaction (enrollments,
  a class's teacher, an analysis of a student outside the writer's classes). `ge_act_as` reads
  the epoch with the actor; the set is reused only for the same teacher at the same epoch, so
  a transaction never sees a set older than the roster it reads.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

from core.db import APP_ROLE

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROLE = "(SELECT public.ge_actor_role())"
_SCHOOL = "(SELECT public.ge_actor_school())"
_ME = "(SELECT public.ge_actor_id())"
_MINE = "((SELECT public.ge_teacher_student_ids())::uuid[])"

VIEWS = {
    "ge_school_classes": f"SELECT c.id FROM public.classes c WHERE c.school_id = {_SCHOOL}",
    "ge_principal_students": "SELECT s.id FROM public.students s "
    f"WHERE s.school_id = {_SCHOOL} AND {_ROLE} = 'PRINCIPAL'",
    "ge_principal_analyses": "SELECT a.id FROM public.analyses a "
    "WHERE a.student_id IN (SELECT p.id FROM public.ge_principal_students p)",
    "ge_teacher_analyses": "SELECT a.id FROM public.analyses a "
    f"WHERE {_ROLE} = 'TEACHER' AND (a.teacher_id = {_ME} OR a.student_id = ANY {_MINE})",
}


def _by_role(*, principal: str, teacher: str) -> str:
    return (
        f"CASE {_ROLE} WHEN 'ADMIN' THEN true WHEN 'SYSTEM' THEN true "
        f"WHEN 'PRINCIPAL' THEN {principal} WHEN 'TEACHER' THEN {teacher} ELSE false END"
    )


_FLAT_CONVERSATION = (
    "EXISTS (SELECT 1 FROM public.ge_{who}_analyses a "
    "WHERE a.id = analysis_conversations.analysis_id)"
)
# table: (this revision's policy, 0013/0014's, whether it checks writes too)
POLICIES = {
    "class_enrollments": (
        _by_role(
            principal="class_enrollments.class_id IN (SELECT c.id FROM public.ge_school_classes c)",
            teacher="EXISTS (SELECT 1 FROM public.ge_school_classes c "
            "WHERE c.id = class_enrollments.class_id)",
        ),
        _by_role(
            principal="class_enrollments.class_id IN "
            f"(SELECT c.id FROM classes c WHERE c.school_id = {_SCHOOL})",
            teacher="EXISTS (SELECT 1 FROM classes c WHERE c.id = class_enrollments.class_id)",
        ),
        True,
    ),
    "analyses": (
        _by_role(
            principal="analyses.student_id IN (SELECT p.id FROM public.ge_principal_students p)",
            teacher=f"teacher_id = {_ME} OR student_id = ANY {_MINE}",
        ),
        _by_role(
            principal="analyses.student_id IN "
            f"(SELECT s.id FROM students s WHERE s.school_id = {_SCHOOL})",
            teacher=f"teacher_id = {_ME} OR student_id = ANY {_MINE}",
        ),
        True,
    ),
    "analysis_conversations": (
        _by_role(
            principal=_FLAT_CONVERSATION.format(who="principal"),
            teacher=_FLAT_CONVERSATION.format(who="teacher"),
        ),
        _by_role(
            principal="EXISTS (SELECT 1 FROM analyses a "
            "WHERE a.id = analysis_conversations.analysis_id)",
            teacher="EXISTS (SELECT 1 FROM analyses a "
            "WHERE a.id = analysis_conversations.analysis_id)",
        ),
        True,
    ),
    "analysis_flags": (
        _by_role(
            principal="analysis_flags.student_id IN "
            "(SELECT p.id FROM public.ge_principal_students p)",
            teacher="EXISTS (SELECT 1 FROM public.ge_teacher_analyses a "
            "WHERE a.id = analysis_flags.analysis_id)",
        ),
        _by_role(
            principal="analysis_flags.student_id IN "
            f"(SELECT s.id FROM students s WHERE s.school_id = {_SCHOOL})",
            teacher="EXISTS (SELECT 1 FROM analyses a WHERE a.id = analysis_flags.analysis_id)",
        ),
        False,
    ),
}

_STUDENT_IDS_QUERY = """(
  SELECT coalesce(array_agg(DISTINCT student_id), '{}') FROM (
    SELECT e.student_id FROM class_enrollments e JOIN classes c ON c.id = e.class_id
     WHERE c.teacher_id = public.ge_actor_id()
    UNION ALL
    SELECT a.student_id FROM analyses a WHERE a.teacher_id = public.ge_actor_id()
  ) AS mine)"""
_DEFINER = "STABLE SECURITY DEFINER SET search_path = public, pg_temp"
# The set as 0011 computed it, kept on the connection (is_local false) under its key.
KEPT = f"""
CREATE FUNCTION public.ge_teacher_student_ids_kept() RETURNS uuid[]
LANGUAGE plpgsql {_DEFINER} AS $$
DECLARE
  ids uuid[] := {_STUDENT_IDS_QUERY};
BEGIN
  PERFORM set_config('ge.teacher_students', ids::text, false),
          set_config('ge.teacher_students_key', public.ge_teacher_students_key(), false);
  RETURN ids;
END
$$"""
# Whose set, at which roster: NULL (never matches) without an actor or an epoch.
KEY = """
CREATE FUNCTION public.ge_teacher_students_key() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('ge.user_id', true), '') || ':'
         || nullif(current_setting('ge.roster_epoch', true), '')
$$"""
# Plain SQL, so PostgreSQL inlines it: a kept set costs one comparison and one array cast.
WRAPPER = """
CREATE OR REPLACE FUNCTION public.ge_teacher_student_ids() RETURNS uuid[]
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN current_setting('ge.teacher_students_key', true)
                   = public.ge_teacher_students_key()
              THEN current_setting('ge.teacher_students')::uuid[]
              ELSE public.ge_teacher_student_ids_kept() END
$$"""
EACH_TIME = f"""
CREATE OR REPLACE FUNCTION public.ge_teacher_student_ids() RETURNS uuid[]
LANGUAGE plpgsql {_DEFINER} AS $$
BEGIN RETURN {_STUDENT_IDS_QUERY}; END
$$"""

EPOCH = (
    """
CREATE TABLE public.ge_roster_epoch (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  n bigint NOT NULL DEFAULT 0
)
""",
    """
INSERT INTO public.ge_roster_epoch DEFAULT VALUES
""",
    f"""
REVOKE ALL ON public.ge_roster_epoch FROM {APP_ROLE}
""",
    f"""
GRANT SELECT ON public.ge_roster_epoch TO {APP_ROLE}
""",
    """
CREATE FUNCTION public.ge_bump_roster_epoch() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE public.ge_roster_epoch SET n = n + 1;
  RETURN NULL;
END
$$
""",
    """
-- An analysis widens its writer's set only for a student outside their classes' enrollments
-- (a teacher's own analyses are of their enrolled students: no bump on the exchange's path).
-- Inserts are checked once per statement (a bulk load is one check); moving one bumps.
CREATE FUNCTION public.ge_bump_roster_epoch_for_analyses() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM written w
              WHERE NOT EXISTS (SELECT 1 FROM class_enrollments e
                                  JOIN classes c ON c.id = e.class_id
                                 WHERE e.student_id = w.student_id
                                   AND c.teacher_id = w.teacher_id)) THEN
    UPDATE public.ge_roster_epoch SET n = n + 1;
  END IF;
  RETURN NULL;
END
$$
""",
    """
CREATE TRIGGER ge_roster_epoch_enrollments AFTER INSERT OR UPDATE ON class_enrollments
  FOR EACH STATEMENT EXECUTE FUNCTION public.ge_bump_roster_epoch()
""",
    """
CREATE TRIGGER ge_roster_epoch_classes AFTER UPDATE OF teacher_id ON classes
  FOR EACH STATEMENT EXECUTE FUNCTION public.ge_bump_roster_epoch()
""",
    """
CREATE TRIGGER ge_roster_epoch_analyses AFTER INSERT ON analyses
  REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION public.ge_bump_roster_epoch_for_analyses()
""",
    """
CREATE TRIGGER ge_roster_epoch_analyses_moved AFTER UPDATE OF teacher_id, student_id ON analyses
  FOR EACH STATEMENT EXECUTE FUNCTION public.ge_bump_roster_epoch()
""",
)
DROP_EPOCH = (
    "DROP TRIGGER ge_roster_epoch_analyses_moved ON analyses",
    "DROP TRIGGER ge_roster_epoch_analyses ON analyses",
    "DROP TRIGGER ge_roster_epoch_classes ON classes",
    "DROP TRIGGER ge_roster_epoch_enrollments ON class_enrollments",
    "DROP FUNCTION public.ge_bump_roster_epoch_for_analyses()",
    "DROP FUNCTION public.ge_bump_roster_epoch()",
    "DROP TABLE public.ge_roster_epoch",
)

# ge_act_as as 0007 created it; this revision also reads the roster's epoch with the actor.
_ACT_AS = """
CREATE OR REPLACE FUNCTION public.ge_act_as(p_user uuid, p_role text, p_school uuid)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  found_user record;
BEGIN
  -- Cleared first: a refused actor leaves a transaction that sees no student data.
  PERFORM set_config('ge.user_id', '', true), set_config('ge.role', '', true),
          set_config('ge.school_id', '', true){clear};
  IF p_user IS NULL THEN
    IF p_role = 'SYSTEM' THEN
      PERFORM set_config('ge.role', 'SYSTEM', true);
      RETURN NULL;
    END IF;
    RETURN 'unknown_user';
  END IF;
  SELECT u.role::text AS role, u.school_id, u.is_active, u.deleted_at,
         s.deleted_at AS school_deleted_at{epoch}
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
          set_config('ge.school_id', found_user.school_id::text, true){set_epoch};
  RETURN NULL;
END
$$"""
ACT_AS_WITH_EPOCH = _ACT_AS.format(
    clear=", set_config('ge.roster_epoch', '', true)",
    epoch=",\n         (SELECT e.n FROM public.ge_roster_epoch e) AS epoch",
    set_epoch=",\n          set_config('ge.roster_epoch', found_user.epoch::text, true)",
)
ACT_AS_BEFORE = _ACT_AS.format(clear="", epoch="", set_epoch="")


def _policy(table: str, condition: str, checks_writes: bool) -> str:
    check = f" WITH CHECK ({condition})" if checks_writes else ""
    return f"ALTER POLICY {table}_actor ON {table} USING ({condition}){check}"


def upgrade() -> None:
    for statement in EPOCH:
        op.execute(statement)
    op.execute(ACT_AS_WITH_EPOCH)
    op.execute(KEY)
    op.execute(KEPT)
    op.execute(WRAPPER)
    for name, query in VIEWS.items():
        op.execute(f"CREATE VIEW public.{name} WITH (security_barrier) AS {query}")
        # Default privileges would let the application write through a simple view (which runs
        # as its owner, past row-level security): reading is all it may do.
        op.execute(f"REVOKE ALL ON public.{name} FROM {APP_ROLE}")
        op.execute(f"GRANT SELECT ON public.{name} TO {APP_ROLE}")
    for table, (now, _before, checks_writes) in POLICIES.items():
        op.execute(_policy(table, now, checks_writes))


def downgrade() -> None:
    for table, (_now, before, checks_writes) in POLICIES.items():
        op.execute(_policy(table, before, checks_writes))
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW public.{name}")
    op.execute(EACH_TIME)
    op.execute("DROP FUNCTION public.ge_teacher_student_ids_kept()")
    op.execute("DROP FUNCTION public.ge_teacher_students_key()")
    op.execute(ACT_AS_BEFORE)
    for statement in DROP_EPOCH:
        op.execute(statement)
