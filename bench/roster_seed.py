"""bench.roster's national-scale seed: 100 schools, 7,500 teachers, 225,000 students."""

from __future__ import annotations

from bench.names import FIRST_NAMES, LAST_NAMES, sql_array

DB_NAME = "ge_bench_roster"
SCHOOLS = 100
TEACHERS_PER_SCHOOL = 75
CLASSES_PER_TEACHER = 2
CLASS_SIZE = 30
# Every student sits in two classes of different teachers: 150 classes x 30 seats / 2.
STUDENTS_PER_SCHOOL = TEACHERS_PER_SCHOOL * CLASSES_PER_TEACHER * CLASS_SIZE // 2
STUDENTS = SCHOOLS * STUDENTS_PER_SCHOOL

SEED_SQL = [
    (
        "schools",
        f"""
        INSERT INTO schools (name, code)
        SELECT 'בית ספר ' || s, 'BENCH-' || lpad(s::text, 3, '0')
        FROM generate_series(1, {SCHOOLS}) AS s
        """,
    ),
    (
        "users",
        f"""
        WITH sc AS (
          SELECT id, substr(code, 7)::int AS s FROM schools WHERE code LIKE 'BENCH-%'
        )
        INSERT INTO users (email, role, first_name, last_name, school_id)
        SELECT 'teacher' || sc.s || '-' || t || '@bench.test', 'TEACHER'::user_role,
               ({sql_array(FIRST_NAMES)})[1 + (sc.s * 31 + t) % {len(FIRST_NAMES)}],
               ({sql_array(LAST_NAMES)})[1 + (sc.s * 17 + t * 7) % {len(LAST_NAMES)}],
               sc.id
        FROM sc CROSS JOIN generate_series(0, {TEACHERS_PER_SCHOOL - 1}) AS t
        UNION ALL
        SELECT 'principal' || sc.s || '@bench.test', 'PRINCIPAL'::user_role, 'מנהלת',
               'בית ספר ' || sc.s, sc.id
        FROM sc
        UNION ALL
        SELECT 'admin@bench.test', 'ADMIN'::user_role, 'Admin', 'Bench', sc.id
        FROM sc WHERE sc.s = 1
        """,
    ),
    (
        "classes",
        f"""
        INSERT INTO classes (name, grade_level, section, teacher_id, school_id, academic_year,
                             is_active)
        SELECT 'כיתה ' || c, (1 + c % 12)::text, (c % 4)::text, u.id, u.school_id,
               '2026-2027', (c % 97) <> 0
        FROM users AS u
        CROSS JOIN LATERAL (
          SELECT split_part(split_part(u.email, '-', 2), '@', 1)::int AS t
        ) AS tt
        CROSS JOIN LATERAL (
          SELECT tt.t * {CLASSES_PER_TEACHER} + k AS c
          FROM generate_series(0, {CLASSES_PER_TEACHER - 1}) AS k
        ) AS cc
        WHERE u.role = 'TEACHER' AND u.email LIKE 'teacher%@bench.test'
        """,
    ),
    (
        "students",
        f"""
        INSERT INTO students (first_name, last_name, student_id, grade_level, school_id,
                              deleted_at)
        SELECT ({sql_array(FIRST_NAMES)})[1 + (n * 7919) % {len(FIRST_NAMES)}],
               ({sql_array(LAST_NAMES)})[1 + ((n * 104729) / {len(FIRST_NAMES)})
                                              % {len(LAST_NAMES)}],
               'S' || lpad(k::text, 5, '0'), (1 + k % 12)::text, sc.id,
               CASE WHEN n % 211 = 0 THEN now() END
        FROM (SELECT id, substr(code, 7)::int AS s FROM schools WHERE code LIKE 'BENCH-%') AS sc
        CROSS JOIN generate_series(0, {STUDENTS_PER_SCHOOL - 1}) AS k
        CROSS JOIN LATERAL (SELECT (sc.s * {STUDENTS_PER_SCHOOL} + k)::bigint AS n) AS nn
        """,
    ),
    (
        "class_enrollments",
        f"""
        WITH st AS (
          SELECT id, school_id, substr(student_id, 2)::int AS k FROM students
        ), cl AS (
          SELECT c.id, c.school_id, substr(c.name, 6)::int AS c FROM classes AS c
        )
        INSERT INTO class_enrollments (student_id, class_id, dropped_at)
        SELECT st.id, cl.id, CASE WHEN (st.k + e) % 53 = 0 THEN now() END
        FROM st CROSS JOIN generate_series(0, 1) AS e
        JOIN cl ON cl.school_id = st.school_id
               AND cl.c = (st.k / {CLASS_SIZE // 2} + e * {STUDENTS_PER_SCHOOL // CLASS_SIZE})
                          % {TEACHERS_PER_SCHOOL * CLASSES_PER_TEACHER}
        """,
    ),
    (
        "audit row for the seed",
        f"""
        INSERT INTO audit_logs (user_email, user_role, action, resource, resource_id, metadata)
        VALUES ('system', 'ADMIN', 'CREATE', 'BenchSeed', '{DB_NAME}',
                jsonb_build_object('channel', jsonb_build_object('platform', 'CLI'),
                                   'students', {STUDENTS}))
        """,
    ),
]
