"""bench.summary's seed at MVP or Year 1 scale: schools, students, analyses, turns, audit rows."""

from __future__ import annotations

from dataclasses import dataclass

from bench.names import FIRST_NAMES, LAST_NAMES, sql_array

TEACHERS_PER_SCHOOL = 25
CLASSES_PER_TEACHER = 2
STUDENTS_PER_SCHOOL = 750
TURNS_PER_ANALYSIS = 6
AUDIT_PER_ANALYSIS = 10
STRENGTHS = (
    "Strong math skills", "strong math skills.", "Strong  Math skills!", "Good problem solver",
    "Kind to peers", "קְרִיאָה שוטפת", "קריאה שוטפת.", "יצירתיות", "יצירתיות!", "עבודת צוות",
    "Curious and asks questions", "אחריות אישית",
)  # fmt: skip
WEAKNESSES = (
    "Struggles with reading comprehension", "struggles with reading comprehension!",
    "קשיי ריכוז", "קשיי ריכוז.", "Handwriting", "אי-סדר במחברות", "אי סדר במחברות",
    "Shy in class discussions", "קושי בשברים", "Homework not handed in",
)  # fmt: skip


@dataclass(frozen=True)
class Scale:
    """How much to seed."""

    name: str
    schools: int
    analyses: int

    @property
    def students(self) -> int:
        """Students across all schools."""
        return self.schools * STUDENTS_PER_SCHOOL

    @property
    def database(self) -> str:
        """One database per scale, so both can be kept."""
        return f"ge_bench_summary_{self.name}"


MVP = Scale("mvp", 20, 50_000)
YEAR1 = Scale("year1", 100, 500_000)


POOLS = f"SELECT {sql_array(STRENGTHS)} AS st, {sql_array(WEAKNESSES)} AS wk"
# school_id: the BEFORE trigger of 0017 sets it from the student; a load with triggers off
# (Year 3) writes the same value itself.
ANALYSES_COLUMNS = (
    "student_id, school_id, teacher_id, status, results, teacher_edits, private_notes, "
    "total_tokens, estimated_cost, flagged_for_review, created_at, updated_at, deleted_at"
)
TURNS_COLUMNS = "analysis_id, role, content, tokens, sequence_number, created_at"
AUDIT_COLUMNS = (
    "user_id, user_email, user_role, action, resource, resource_id, metadata, created_at"
)


def analyses_select(per_school: int, *, days: int, hours_back: int = 0) -> str:
    """Rows of analyses of the schools in CTE `sc` (id, s), phrases from CTE `pools`.

    Spread over `days` days before now (and `hours_back` hours earlier still).
    """
    return f"""
        SELECT stu.id, stu.school_id, te.id,
               (CASE WHEN i % 10 < 8 THEN 'COMPLETED' WHEN i % 10 = 8 THEN 'IN_PROGRESS'
                     ELSE 'FAILED' END)::analysis_status,
               CASE WHEN i % 10 <> 9 THEN jsonb_build_object(
                 'strengths', jsonb_build_array(p.st[1 + i % {len(STRENGTHS)}],
                                                p.st[1 + (i / 7) % {len(STRENGTHS)}]),
                 'weaknesses', jsonb_build_array(p.wk[1 + (i / 3) % {len(WEAKNESSES)}]),
                 'recommendations', jsonb_build_array('Extra reading time', 'תרגול בזוגות'),
                 'learningStyle', 'Visual', 'confidence', (50 + i % 50) / 100.0) END,
               CASE WHEN i % 7 = 0 THEN jsonb_build_object(
                 'strengths', jsonb_build_array(p.st[1 + (i / 11) % {len(STRENGTHS)}]),
                 'confidence', 0.9) END,
               CASE WHEN i % 10 = 3 THEN 'הערה פרטית ' || i END,
               1500 + i % 900, (1500 + i % 900) * 0.0000006,
               i % 33 = 0,
               at, at, CASE WHEN i % 101 = 0 THEN now() END
        FROM sc CROSS JOIN pools p CROSS JOIN generate_series(0, {per_school - 1}) i
        CROSS JOIN LATERAL (
          SELECT now() - ((i * 7) % {days}) * interval '1 day' - (i % 24) * interval '1 hour'
                 - {hours_back} * interval '1 hour' AS at
        ) t
        JOIN students stu ON stu.school_id = sc.id
         AND stu.student_id = 'S' || lpad(((i * 7919) % {STUDENTS_PER_SCHOOL})::text, 5, '0')
        JOIN users te ON te.email = 't' || sc.s || '-' || (i % {TEACHERS_PER_SCHOOL})
                                    || '@bench.test'
    """  # fmt: skip


def turns_select(source: str, turns: int) -> str:
    """`turns` conversation rows for each analysis of `source` (a table or CTE)."""
    return f"""
        SELECT a.id, (CASE WHEN q = 1 THEN 'SYSTEM' WHEN q % 2 = 0 THEN 'ASSISTANT'
                           ELSE 'USER' END)::conversation_role,
               'תור ' || q || ' של הראיון', 40, q, a.created_at + q * interval '1 minute'
        FROM {source} a CROSS JOIN generate_series(1, {turns}) q
    """  # fmt: skip


def audit_select(source: str, rows: int) -> str:
    """`rows` audit rows (create, updates, reads) for each analysis of `source`."""
    return f"""
        SELECT a.teacher_id::text, 'teacher@bench.test', 'TEACHER',
               (CASE WHEN j = 1 THEN 'CREATE' WHEN j < 8 THEN 'UPDATE' ELSE 'READ'
                END)::audit_action, 'Analysis', a.id::text,
               jsonb_build_object('channel', jsonb_build_object('platform', 'SLACK'),
                 'studentIds', jsonb_build_array(a.student_id::text),
                 'changedFields', CASE WHEN j = 7 AND a.flagged_for_review
                   THEN jsonb_build_array('flagged_for_review')
                   ELSE jsonb_build_array('conversation') END),
               a.created_at + j * interval '2 minutes'
        FROM {source} a CROSS JOIN generate_series(1, {rows}) j
    """  # fmt: skip


def seed_sql(scale: Scale, schools: tuple[int, int] | None = None) -> list[tuple[str, str]]:
    """The seed's statements; `schools` (first, last): students and enrollments of those only."""
    per_school = scale.analyses // scale.schools
    classes = TEACHERS_PER_SCHOOL * CLASSES_PER_TEACHER
    school_ids = "SELECT id, substr(code, 4)::int AS s FROM schools WHERE code LIKE 'BS-%'"
    some = school_ids + (f" AND substr(code, 4)::int BETWEEN {schools[0]} AND {schools[1]}"
                         if schools else "")  # fmt: skip
    return [
        ("districts", f"""
        INSERT INTO districts (name, code)
        SELECT 'מחוז ' || d, 'BD-' || d FROM generate_series(1, {(scale.schools + 9) // 10}) d
        """),
        ("schools", f"""
        INSERT INTO schools (name, code, district_id)
        SELECT 'בית ספר ' || s, 'BS-' || lpad(s::text, 3, '0'), d.id
        FROM generate_series(1, {scale.schools}) s
        JOIN districts d ON d.code = 'BD-' || (1 + (s - 1) / 10)
        """),
        ("users", f"""
        WITH sc AS ({school_ids})
        INSERT INTO users (email, role, first_name, last_name, school_id)
        SELECT 't' || sc.s || '-' || t || '@bench.test', 'TEACHER'::user_role,
               ({sql_array(FIRST_NAMES)})[1 + (sc.s * 31 + t) % {len(FIRST_NAMES)}],
               ({sql_array(LAST_NAMES)})[1 + (sc.s * 17 + t * 7) % {len(LAST_NAMES)}], sc.id
        FROM sc CROSS JOIN generate_series(0, {TEACHERS_PER_SCHOOL - 1}) t
        UNION ALL
        SELECT 'principal' || sc.s || '@bench.test', 'PRINCIPAL', 'מנהלת', 'בית ספר ' || sc.s,
               sc.id FROM sc
        UNION ALL
        SELECT 'admin@bench.test', 'ADMIN', 'Admin', 'Bench', sc.id FROM sc WHERE sc.s = 1
        """),
        ("classes", f"""
        WITH sc AS ({school_ids})
        INSERT INTO classes (name, grade_level, teacher_id, school_id, academic_year)
        SELECT 'כיתה ' || c, (1 + c % 12)::text, u.id, sc.id, '2026-2027'
        FROM sc CROSS JOIN generate_series(0, {classes - 1}) c
        JOIN users u ON u.email = 't' || sc.s || '-' || (c / {CLASSES_PER_TEACHER}) || '@bench.test'
        """),
        ("students", f"""
        WITH sc AS ({some})
        INSERT INTO students (first_name, last_name, student_id, grade_level, school_id,
                              is_active, deleted_at)
        SELECT ({sql_array(FIRST_NAMES)})[1 + (n * 7919) % {len(FIRST_NAMES)}],
               ({sql_array(LAST_NAMES)})[1 + (n * 104729 / 40) % {len(LAST_NAMES)}],
               'S' || lpad(k::text, 5, '0'), (1 + k % 12)::text, sc.id,
               n % 97 <> 0, CASE WHEN n % 211 = 0 THEN now() END
        FROM sc CROSS JOIN generate_series(0, {STUDENTS_PER_SCHOOL - 1}) k
        CROSS JOIN LATERAL (SELECT (sc.s * {STUDENTS_PER_SCHOOL} + k)::bigint AS n) nn
        """),
        ("class_enrollments", f"""
        WITH sc AS ({some})
        INSERT INTO class_enrollments (student_id, class_id, dropped_at)
        SELECT st.id, c.id, CASE WHEN (k + e) % 53 = 0 THEN now() END
        FROM (SELECT id, school_id, substr(student_id, 2)::int AS k FROM students
              WHERE school_id IN (SELECT id FROM sc)) st
        CROSS JOIN generate_series(0, 1) e
        JOIN classes c ON c.school_id = st.school_id
                      AND c.name = 'כיתה ' || ((st.k + e * {classes // 2}) % {classes})
        """),
        ("analyses", f"""
        WITH sc AS ({school_ids}), pools AS ({POOLS})
        INSERT INTO analyses ({ANALYSES_COLUMNS})
        {analyses_select(per_school, days=700)}
        """),
        ("analysis_conversations", f"""
        INSERT INTO analysis_conversations ({TURNS_COLUMNS})
        {turns_select("analyses", TURNS_PER_ANALYSIS)}
        """),
        # Monthly partitions for the seeded span, so rows do not pile up in the default one.
        ("audit partitions", """
        SELECT public.ge_audit_partition(m::date) FROM generate_series(
          date_trunc('month', now() - interval '701 days'), now(), interval '1 month') m
        """),
        ("audit_logs", f"""
        INSERT INTO audit_logs ({AUDIT_COLUMNS})
        {audit_select("analyses", AUDIT_PER_ANALYSIS)}
        """),
    ]  # fmt: skip
