"""Student search: Hebrew-aware matching, ranking, limits, visibility, and the trigram index."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.actor import Actor, Channel, system_actor
from core.audit import record
from core.errors import InvalidInput
from core.models import AuditAction, Class, ClassEnrollment, School, Student, User, UserRole
from core.policy import visible_students
from core.search import WORD_SIMILARITY, fold, search_statement
from core.services.students import MAX_RESULTS, find_students
from tests.service_fixtures import seeding

CHANNEL = Channel("SLACK", chat_id="C01", workspace_id="T01")

# (first, last, school student id, in the teacher's class); all in school A.
SCHOOL_A = [
    ("בן-ציון", "כהן", "S1001", True),
    ("Liam", "O'Brien", "S1002", True),
    ("מִרְיָם", "לֵוִי", "S1003", True),
    ("אברהם", "שמעון", "S1004", True),
    ("ציונה", "ברק", "S1005", True),
    ("דוד", "Smith", "S1006", True),
    ("Sarah", "כץ", "S1007", True),
    ("Emma", "Johnson", "S1008", True),
    ("נועם", "פרץ", "S1009", True),
    ("יעל", "כהן", "S1010", False),
    ("Olivia", "Brown", "S1011", True),
    # Ranking: alphabetical order (by last name) is the reverse of the match quality.
    ("Martin", "Zimmer", "S1020", False),
    ("Martina", "Miller", "S1021", False),
    ("Martyn", "Adams", "S1022", False),
    # A hyphenated name in Latin letters, outside the teacher's class (the principal sees it).
    ("Ben-Zion", "Avraham", "S1023", False),
]
SAME_LAST_NAME = [(f"Child{n:02d}", "Peretz", f"S11{n:02d}", False) for n in range(12)]
# School B reuses a school student id of school A on purpose.
SCHOOL_B = [("רחל", "כהן", "S1001", False)]


@dataclass
class SearchWorld:
    """Actors and students of the search cases, students by "first last"."""

    teacher: Actor | None = None
    principal: Actor | None = None
    principal_b: Actor | None = None
    students: dict[str, uuid.UUID] = field(default_factory=dict)


def _actor(user: User) -> Actor:
    return Actor(user.id, user.email, user.role, user.school_id, None, CHANNEL)


@pytest.fixture
async def world(session_factory: async_sessionmaker[AsyncSession]) -> SearchWorld:
    """School A (a teacher with one class, a principal) and school B (a principal)."""
    world = SearchWorld()
    async with seeding(session_factory) as uow:
        s = uow.session
        school_a, school_b = School(name="אלון", code="A"), School(name="ברוש", code="B")
        s.add_all([school_a, school_b])
        await s.flush()
        teacher = User(
            email="t@a.test", role=UserRole.TEACHER, first_name="דנה", last_name="לוי",
            school_id=school_a.id,
        )  # fmt: skip
        principal = User(
            email="p@a.test", role=UserRole.PRINCIPAL, first_name="רחל", last_name="מנהלת",
            school_id=school_a.id,
        )  # fmt: skip
        principal_b = User(
            email="p@b.test", role=UserRole.PRINCIPAL, first_name="אבי", last_name="מנהל",
            school_id=school_b.id,
        )  # fmt: skip
        s.add_all([teacher, principal, principal_b])
        await s.flush()
        klass = Class(name="ה'1", teacher_id=teacher.id, school_id=school_a.id)
        s.add(klass)
        await s.flush()
        rows: list[tuple[Student, bool]] = []
        for school, people in ((school_a, SCHOOL_A + SAME_LAST_NAME), (school_b, SCHOOL_B)):
            for first, last, code, in_class in people:
                student = Student(
                    first_name=first,
                    last_name=last,
                    student_id=code,
                    grade_level="5",
                    school_id=school.id,
                )
                rows.append((student, in_class))
        s.add_all(student for student, _ in rows)
        await s.flush()
        s.add_all(
            ClassEnrollment(student_id=student.id, class_id=klass.id)
            for student, in_class in rows
            if in_class
        )
        record(uow, system_actor(), AuditAction.CREATE, "Fixture", "search")
        await uow.commit()
        world.teacher, world.principal = _actor(teacher), _actor(principal)
        world.principal_b = _actor(principal_b)
        world.students = {f"{st.first_name} {st.last_name}": st.id for st, _ in rows}
    return world


async def _search(
    session_factory: async_sessionmaker[AsyncSession], actor: Actor | None, query: str, **kw: int
) -> list[str]:
    assert actor is not None
    async with seeding(session_factory) as uow:
        found = await find_students(uow=uow, actor=actor, query=query, **kw)
    return [s.full_name for s in found]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("מרים", ["מִרְיָם לֵוִי"], id="niqqud-in-the-name"),
        pytest.param("מִרְיָם לֵוִי", ["מִרְיָם לֵוִי"], id="niqqud-in-the-query"),
        pytest.param("אברהמ", ["אברהם שמעון"], id="regular-letter-for-a-final"),
        pytest.param("ציון", ["ציונה ברק", "בן-ציון כהן"], id="final-letter-in-a-prefix"),
        pytest.param("בן ציון", ["בן-ציון כהן"], id="space-for-a-hyphen"),
        pytest.param("בן־ציון", ["בן-ציון כהן"], id="maqaf-for-a-hyphen"),
        pytest.param("obrien", ["Liam O'Brien"], id="apostrophe-dropped"),
        pytest.param("O’Brien", ["Liam O'Brien"], id="typographic-apostrophe"),
        pytest.param("LIAM", ["Liam O'Brien"], id="latin-case"),
        pytest.param("כהן בן-ציון", ["בן-ציון כהן"], id="reversed-order"),
        pytest.param("לוי מרים", ["מִרְיָם לֵוִי"], id="reversed-order-with-niqqud"),
        pytest.param("אברחם", ["אברהם שמעון"], id="hebrew-typo"),
        pytest.param("Jonson", ["Emma Johnson"], id="latin-typo"),
        pytest.param("S1004", ["אברהם שמעון"], id="school-student-id"),
        pytest.param("דוד Smith", ["דוד Smith"], id="mixed-hebrew-english"),
        pytest.param("smith דוד", ["דוד Smith"], id="mixed-reversed"),
        pytest.param("Sarah כץ", ["Sarah כץ"], id="mixed-with-final-letter"),
        pytest.param("Olivai", ["Olivia Brown"], id="latin-transposition"),
        pytest.param("Lima", ["Liam O'Brien"], id="four-letter-transposition"),
        pytest.param("Jonhson", ["Emma Johnson"], id="latin-transposition-inside"),
        pytest.param("אבהרם", ["אברהם שמעון"], id="hebrew-transposition"),
        pytest.param("אבהרמ", ["אברהם שמעון"], id="hebrew-transposition-regular-final"),
        pytest.param("מִרְםי", ["מִרְיָם לֵוִי"], id="hebrew-transposition-with-niqqud"),
        pytest.param("Olivai Brown", ["Olivia Brown"], id="transposition-in-a-full-name"),
        pytest.param("שמעון אבהרם", ["אברהם שמעון"], id="hebrew-transposition-reversed"),
    ],
)
async def test_search_finds_the_student_however_the_name_is_typed(
    session_factory: async_sessionmaker[AsyncSession],
    world: SearchWorld,
    query: str,
    expected: list[str],
) -> None:
    assert await _search(session_factory, world.teacher, query) == expected


@pytest.mark.parametrize("query", ["Ben-Zion", "Ben Zion", "BenZion", "benzion", "Ben–Zion"])
async def test_a_hyphenated_name_is_found_with_the_hyphen_a_space_or_neither(
    session_factory: async_sessionmaker[AsyncSession], world: SearchWorld, query: str
) -> None:
    assert await _search(session_factory, world.principal, query) == ["Ben-Zion Avraham"]


@pytest.mark.parametrize("query", ["Ben-Zion", "Ben Zion", "BenZion", "Ben-Zion Cohen", "bentzion"])
async def test_a_hyphenated_hebrew_name_is_found_typed_in_latin_letters(
    session_factory: async_sessionmaker[AsyncSession], world: SearchWorld, query: str
) -> None:
    # The teacher does not see the Latin Ben-Zion: the Hebrew one is read across scripts.
    assert await _search(session_factory, world.teacher, query) == ["בן-ציון כהן"]


async def test_four_letter_name_with_a_typo_is_not_matched(
    session_factory: async_sessionmaker[AsyncSession], world: SearchWorld
) -> None:
    # נועה is one letter away from נועם, but four letters are too short to guess from.
    assert await _search(session_factory, world.principal, "נועה") == []
    assert await _search(session_factory, world.principal, "Emna") == []


async def test_typo_tolerance_needs_the_name_itself_to_have_five_letters(
    session_factory: async_sessionmaker[AsyncSession], world: SearchWorld
) -> None:
    # "emmaa" is one letter from "emma", but the name has only four letters.
    assert await _search(session_factory, world.principal, "Emmaa") == []


async def test_two_typos_are_not_matched(
    session_factory: async_sessionmaker[AsyncSession], world: SearchWorld
) -> None:
    assert await _search(session_factory, world.principal, "Jonsen") == []
    # Two swaps, or a swap and a substitution, are two edits.
    assert await _search(session_factory, world.principal, "Oilvai") == []
    assert await _search(session_factory, world.principal, "Olivae") == []
    assert await _search(session_factory, world.principal, "Ilma") == []


async def test_a_swap_of_non_adjacent_letters_is_not_one_edit(
    session_factory: async_sessionmaker[AsyncSession], world: SearchWorld
) -> None:
    # "Mial" swaps letters two apart from "Liam": two edits.
    assert await _search(session_factory, world.principal, "Mial") == []


async def test_a_transposed_name_ranks_after_exact_and_prefix_matches(
    session_factory: async_sessionmaker[AsyncSession], world: SearchWorld
) -> None:
    # "Martni" is "Martin" with its last two letters swapped; "Martina" and "Martyn" are two
    # edits away from it.
    assert await _search(session_factory, world.principal, "Martni") == ["Martin Zimmer"]
    # "Martyn" itself: exact first, then "Martin" (one substitution) as a fuzzy match.
    assert await _search(session_factory, world.principal, "Martyn") == [
        "Martyn Adams",
        "Martin Zimmer",
    ]


async def test_ranking_puts_exact_before_prefix_before_fuzzy(
    session_factory: async_sessionmaker[AsyncSession], world: SearchWorld
) -> None:
    found = await _search(session_factory, world.principal, "martin")
    assert found == ["Martin Zimmer", "Martina Miller", "Martyn Adams"]


async def test_search_returns_at_most_the_requested_number_of_students(
    session_factory: async_sessionmaker[AsyncSession], world: SearchWorld, raw: asyncpg.Connection
) -> None:
    found = await _search(session_factory, world.principal, "Peretz", limit=5)
    assert len(found) == 5
    # In Hebrew order among equals, so the first page is predictable.
    assert found == [f"Child{n:02d} Peretz" for n in range(5)]
    metadata = json.loads(
        await raw.fetchval(
            "SELECT metadata FROM audit_logs WHERE metadata->>'operation' = 'search' "
            "ORDER BY created_at DESC LIMIT 1"
        )
    )
    assert sorted(metadata["studentIds"]) == sorted(str(world.students[n]) for n in found)
    assert metadata["resultCount"] == 5


async def test_search_limit_is_capped(
    session_factory: async_sessionmaker[AsyncSession], world: SearchWorld
) -> None:
    assert len(await _search(session_factory, world.principal, "Peretz", limit=10_000)) == 12
    assert MAX_RESULTS < 10_000
    assert len(await _search(session_factory, world.principal, "Peretz", limit=0)) == 1


async def test_teacher_search_finds_only_students_of_her_classes(
    session_factory: async_sessionmaker[AsyncSession], world: SearchWorld
) -> None:
    assert await _search(session_factory, world.teacher, "כהן") == ["בן-ציון כהן"]
    assert await _search(session_factory, world.teacher, "martin") == []
    # None of the school's twelve Peretz children is hers; her נועם פרץ is, spelt in Latin.
    assert await _search(session_factory, world.teacher, "Peretz") == ["נועם פרץ"]


async def test_principal_search_finds_only_students_of_her_school(
    session_factory: async_sessionmaker[AsyncSession], world: SearchWorld
) -> None:
    assert await _search(session_factory, world.principal, "כהן") == ["בן-ציון כהן", "יעל כהן"]
    assert await _search(session_factory, world.principal_b, "כהן") == ["רחל כהן"]


async def test_school_student_id_finds_only_the_student_of_the_searchers_school(
    session_factory: async_sessionmaker[AsyncSession], world: SearchWorld
) -> None:
    assert await _search(session_factory, world.principal, "S1001") == ["בן-ציון כהן"]
    assert await _search(session_factory, world.principal_b, "S1001") == ["רחל כהן"]


@pytest.mark.parametrize("query", ["", "   ", "-", "'", "\u05b0\u05b8"])
async def test_empty_query_is_invalid_input_and_audited(
    session_factory: async_sessionmaker[AsyncSession],
    world: SearchWorld,
    raw: asyncpg.Connection,
    query: str,
) -> None:
    with pytest.raises(InvalidInput):
        await _search(session_factory, world.principal, query)
    row = await raw.fetchrow(
        "SELECT * FROM audit_logs WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1",
        str(world.principal.user_id if world.principal else None),
    )
    metadata = json.loads(row["metadata"])
    assert metadata["failed"] is True and metadata["error"] == "invalid_input"
    assert "studentIds" not in metadata


async def test_search_transaction_plans_each_query_for_its_own_pattern(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    # The search is a prepared statement; a generic plan cannot see the pattern and scans the
    # whole school, so the transaction that folds the query asks for custom plans.
    async with session_factory() as session:
        assert await fold(session, "  Ö'Brien ") == "obrien"
        settings = (
            await session.execute(
                text(
                    "SELECT current_setting('plan_cache_mode'), "
                    "current_setting('pg_trgm.word_similarity_threshold')"
                )
            )
        ).one()
        assert tuple(settings) == ("force_custom_plan", str(WORD_SIMILARITY))


async def _explain(
    session_factory: async_sessionmaker[AsyncSession], actor: Actor, query: str
) -> str:
    async with session_factory() as session:
        folded = await fold(session, query)
        statement = search_statement(folded, query, visible_students(actor), 10)
        connection = await session.connection()
        compiled = statement.compile(dialect=connection.dialect)
        params = tuple(compiled.params[name] for name in compiled.positiontup or ())
        plan = await connection.exec_driver_sql("EXPLAIN " + str(compiled), params)
        return "\n".join(line for (line,) in plan)


async def test_principal_search_is_bounded_by_an_index_under_row_level_security(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    await raw.execute(
        "INSERT INTO schools (name, code) SELECT 'בית ספר ' || n, 'SCH' || n "
        "FROM generate_series(1, 20) AS n"
    )
    await raw.execute(
        """
        INSERT INTO students (first_name, last_name, student_id, grade_level, school_id)
        SELECT (ARRAY['נועה','יוסף','מִרְיָם','David','Liam','שירה','אברהם','Emma'])[1 + n % 8],
               (ARRAY['כהן','לוי','מזרחי','בן-דוד','O''Brien','פרץ','Smith','שמעון','ביטון'])
                 [1 + (n / 8) % 9] || (n % 97)::text,
               'S' || n, '5', s.id
        FROM generate_series(1, 20000) AS n
        JOIN (SELECT id, row_number() OVER (ORDER BY code) - 1 AS k FROM schools) AS s
          ON s.k = n % 20
        """
    )
    # A bulk insert into a fresh GIN index lands in its pending list, which the planner rightly
    # prices as a slow scan; VACUUM merges it into the index, as autovacuum would.
    await raw.execute("VACUUM ANALYZE students")
    assert await raw.fetchval("SELECT count(*) FROM students") == 20_000
    school = await raw.fetchval("SELECT id FROM schools WHERE code = 'SCH7'")
    principal = Actor(uuid.uuid4(), "p@x.test", UserRole.PRINCIPAL, school, None, CHANNEL)
    for query in ("מזרחי", "Smith4", "שמעונ", "מרים כהן"):
        plan = await _explain(session_factory, principal, query)
        # As the application role, RLS keeps non-leakproof operators (LIKE, pg_trgm's %>) out
        # of index conditions, so the trigram index cannot serve; the school's index bounds
        # the rows instead (about 1,000 here), never a scan of every school's students.
        # Any index led by school_id bounds it (0008's (school_id, first_fold) one is chosen).
        by_school = "Index Cond: (school_id = " in plan
        assert "idx_students_search_trgm" in plan or by_school, plan
        assert "Seq Scan" not in plan, plan
