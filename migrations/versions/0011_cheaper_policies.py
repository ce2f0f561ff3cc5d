"""Row-level security at a tenth of its cost: the same rules, evaluated without re-planning or
scanning every school's classes.

Measured by bench-turns (the engine as the application role against a login with the same
grants and BYPASSRLS), 0007's policies cost an exchange about half again its CPU, nearly all of
it in Postgres:
- `class_enrollments`' policy built its semi-join over every class the classes policy lets
  through, and that policy's role test is an OR PostgreSQL cannot use an index for: a sequential
  scan of every school's classes in each statement that touched an enrollment. Now a teacher's
  enrollment rows are each checked against their own class (a primary-key lookup under the
  classes policy: a teacher's statements touch a few), and other actors' semi-join names the
  actor's school itself (`c.school_id = ge_actor_school()`, an index condition). Neither admits
  anything else: both still ask the classes policy, which for a principal or a teacher already
  requires that school, and admins and the system pass on the first arm.
- `ge_teacher_student_ids()` and `ge_private_notes()` were SQL functions with SECURITY DEFINER,
  which PostgreSQL never inlines and plans afresh in every statement that calls them; in
  PL/pgSQL their plans are kept for the session. Same queries, same results.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ANY = "(SELECT public.ge_actor_role()) IN ('ADMIN', 'SYSTEM')"
_SCHOOL = "(SELECT public.ge_actor_school())"
ENROLLMENTS_BEFORE = f"{_ANY} OR class_enrollments.class_id IN (SELECT c.id FROM classes c)"
_TEACHER = "(SELECT public.ge_actor_role()) = 'TEACHER'"
# A teacher's statements touch a few enrollments (their student's): each is checked against
# its own class by primary key. Others (a principal's summaries touch a whole school's) keep
# one hashed semi-join, now over the actor's school's classes only.
ENROLLMENTS_AFTER = (
    f"{_ANY} OR ({_TEACHER} AND EXISTS "
    "(SELECT 1 FROM classes c WHERE c.id = class_enrollments.class_id)) OR "
    f"(NOT {_TEACHER} AND class_enrollments.class_id IN "
    f"(SELECT c.id FROM classes c WHERE c.school_id = {_SCHOOL}))"
)

_STUDENT_IDS_QUERY = """
  SELECT coalesce(array_agg(DISTINCT student_id), '{}') FROM (
    SELECT e.student_id FROM class_enrollments e JOIN classes c ON c.id = e.class_id
     WHERE c.teacher_id = public.ge_actor_id()
    UNION ALL
    SELECT a.student_id FROM analyses a WHERE a.teacher_id = public.ge_actor_id()
  ) AS mine"""
_NOTES_QUERY = """
  SELECT a.private_notes FROM analyses a
   WHERE a.id = p_analysis
     AND (public.ge_actor_role() IN ('ADMIN', 'SYSTEM')
          OR (public.ge_actor_role() = 'TEACHER' AND a.teacher_id = public.ge_actor_id()))"""
_HEAD = "STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$"


def _functions(language: str) -> list[str]:
    if language == "plpgsql":
        ids = f"BEGIN RETURN ({_STUDENT_IDS_QUERY}); END"
        notes = f"BEGIN RETURN ({_NOTES_QUERY}); END"
    else:
        ids, notes = _STUDENT_IDS_QUERY, _NOTES_QUERY
    return [
        "CREATE OR REPLACE FUNCTION public.ge_teacher_student_ids() RETURNS uuid[] "
        f"LANGUAGE {language} {_HEAD}\n{ids}\n$$",
        "CREATE OR REPLACE FUNCTION public.ge_private_notes(p_analysis uuid) RETURNS text "
        f"LANGUAGE {language} {_HEAD}\n{notes}\n$$",
    ]


def _enrollments(condition: str) -> str:
    return (
        f"ALTER POLICY class_enrollments_actor ON class_enrollments "
        f"USING ({condition}) WITH CHECK ({condition})"
    )


def upgrade() -> None:
    for statement in _functions("plpgsql"):
        op.execute(statement)
    op.execute(_enrollments(ENROLLMENTS_AFTER))


def downgrade() -> None:
    op.execute(_enrollments(ENROLLMENTS_BEFORE))
    for statement in _functions("sql"):
        op.execute(statement)
