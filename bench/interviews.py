"""Seeded teachers each one question into an interview, as bench.turns and bench.http start."""

from __future__ import annotations

from bench import databases
from core.prompts import system_prompt

ANSWER = "He reads fluently but loses focus in long written tasks; maps and pictures help."
FIRST_QUESTION = "What does Noa enjoy most in class?"


def interview_sql(
    *, prefix: str, teachers: int, schools: int, identity: str, database: str, audited: int
) -> list[tuple[str, str]]:
    """The seed steps for `teachers` teachers, each with a student, a class and an interview.

    `prefix` names the schools, e-mails and student ids; `identity` is the SQL giving plan row
    `n` its chat `platform`, `workspace` and `external` user id; the audit row records
    `audited` teachers.
    """
    code, student = prefix.upper(), prefix[0].upper()
    return [
        ("plan", f"""
            CREATE TEMP TABLE plan AS
            SELECT n, 1 + n % {schools} AS school, {identity},
                   gen_random_uuid() AS user_id, gen_random_uuid() AS student_id,
                   gen_random_uuid() AS class_id, gen_random_uuid() AS analysis_id
            FROM generate_series(1, {teachers}) AS n"""),
        ("schools", f"""
            INSERT INTO schools (name, code)
            SELECT 'Bench school ' || s, '{code}-' || s FROM generate_series(1, {schools}) AS s"""),
        ("users", f"""
            INSERT INTO users (id, email, role, first_name, last_name, school_id)
            SELECT p.user_id, '{prefix}' || p.n || '@bench.test', 'TEACHER', 'Dana',
                   'Teacher ' || p.n, sc.id
            FROM plan p JOIN schools sc ON sc.code = '{code}-' || p.school"""),
        ("students", f"""
            INSERT INTO students (id, first_name, last_name, student_id, grade_level, school_id)
            SELECT p.student_id, 'Noa', 'Levi', '{student}' || p.n, '5', u.school_id
            FROM plan p JOIN users u ON u.id = p.user_id"""),
        ("classes", """
            INSERT INTO classes (id, name, grade_level, teacher_id, school_id, academic_year)
            SELECT p.class_id, 'Class ' || p.n, '5', p.user_id, u.school_id, '2026-2027'
            FROM plan p JOIN users u ON u.id = p.user_id"""),
        ("class_enrollments", """
            INSERT INTO class_enrollments (student_id, class_id)
            SELECT student_id, class_id FROM plan"""),
        ("chat_identities", """
            INSERT INTO chat_identities (platform, workspace_id, external_user_id, user_id)
            SELECT platform, workspace, external, user_id FROM plan"""),
        ("analyses", """
            INSERT INTO analyses (id, student_id, teacher_id, total_tokens, estimated_cost,
                                  session_duration)
            SELECT analysis_id, student_id, user_id, 0, 0, 0 FROM plan"""),
        ("analysis_conversations", """
            INSERT INTO analysis_conversations (analysis_id, role, content, tokens,
                                                sequence_number)
            SELECT p.analysis_id, t.role::conversation_role, t.content, t.tokens, t.seq
            FROM plan p
            CROSS JOIN (VALUES ('SYSTEM', $1, NULL::int, 1), ('ASSISTANT', $2, 9, 2))
                 AS t (role, content, tokens, seq)"""),
        ("dialogue_states", """
            INSERT INTO dialogue_states (platform, workspace_id, external_user_id, user_id,
                                         state, analysis_id, data)
            SELECT platform, workspace, external, user_id, 'INTERVIEWING', analysis_id,
                   '{"language": "en"}'::jsonb
            FROM plan"""),
        ("audit row for the seed", f"""
            INSERT INTO audit_logs (user_email, user_role, action, resource, resource_id, metadata)
            VALUES ('system', 'ADMIN', 'CREATE', 'BenchSeed', '{database}',
                    jsonb_build_object('channel', jsonb_build_object('platform', 'CLI'),
                                       'teachers', {audited}))"""),
    ]  # fmt: skip


async def seed(url: str, steps: list[tuple[str, str]]) -> None:
    """Run the steps of `interview_sql`, the system prompt and first question as $1 and $2."""
    await databases.seed(url, steps, args=(system_prompt("en"), FIRST_QUESTION))
