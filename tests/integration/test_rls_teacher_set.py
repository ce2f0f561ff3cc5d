"""Row-level security's flat rules (migration 0015) show exactly what the nested ones showed.

A teacher's student set is kept on the connection under their id and the roster's epoch; these
tests show that keeping it never widens or stales what a transaction sees (another teacher, an
enrollment, a class handed over, an analysis outside the teacher's classes), and that the views
the policies borrow their rules from show each actor only what their own policy shows.
"""

from __future__ import annotations

import uuid

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.service_fixtures import demo_staff

Factory = async_sessionmaker[AsyncSession]


async def _enrolled(raw: asyncpg.Connection, teacher: uuid.UUID) -> set[uuid.UUID]:
    rows = await raw.fetch(
        "SELECT DISTINCT e.student_id FROM class_enrollments e JOIN classes c "
        "ON c.id = e.class_id WHERE c.teacher_id = $1",
        teacher,
    )
    return {row[0] for row in rows}


async def _seen(app: asyncpg.Connection, who: asyncpg.Record, sql: str) -> set[uuid.UUID]:
    """What `sql` returns in one transaction acting as `who`."""
    async with app.transaction():
        reason = await app.fetchval(
            "SELECT ge_act_as($1, $2, $3)", who["id"], who["role"], who["school_id"]
        )
        assert reason is None
        return {row[0] for row in await app.fetch(sql)}


STUDENTS = "SELECT id FROM students"


async def test_a_teachers_set_is_kept_on_the_connection_for_their_next_transactions(
    session_factory: Factory, raw: asyncpg.Connection, app: asyncpg.Connection
) -> None:
    staff = await demo_staff(session_factory, raw)
    teacher = staff["teacher1"]
    mine = await _enrolled(raw, teacher["id"])
    assert await _seen(app, teacher, STUDENTS) == mine and mine
    epoch = await raw.fetchval("SELECT n FROM ge_roster_epoch")
    # In the slot of the teacher id's last hex digit (0019), under their id and the epoch.
    slot = str(teacher["id"])[-1]
    key = await app.fetchval(f"SELECT current_setting('ge.teacher_students_key_{slot}')")
    assert key == f"{teacher['id']}:{epoch}"
    # Reused, not worked out again: a narrower set left under the same key is what applies.
    one = sorted(mine)[0]
    await app.execute(f"SELECT set_config('ge.teacher_students_{slot}', $1, false)", f"{{{one}}}")
    assert await _seen(app, teacher, STUDENTS) == {one}


async def test_another_teacher_on_the_same_connection_gets_their_own_set(
    session_factory: Factory, raw: asyncpg.Connection, app: asyncpg.Connection
) -> None:
    staff = await demo_staff(session_factory, raw)
    first, second = staff["teacher1"], staff["teacher2"]
    mine, theirs = await _enrolled(raw, first["id"]), await _enrolled(raw, second["id"])
    assert mine and theirs and mine != theirs
    assert await _seen(app, first, STUDENTS) == mine
    assert await _seen(app, second, STUDENTS) == theirs
    assert await _seen(app, first, STUDENTS) == mine


async def test_several_teachers_sets_are_kept_side_by_side_and_a_shared_slot_stays_right(
    session_factory: Factory, raw: asyncpg.Connection, app: asyncpg.Connection
) -> None:
    staff = await demo_staff(session_factory, raw)
    first, second = staff["teacher1"], staff["teacher2"]
    mine, theirs = await _enrolled(raw, first["id"]), await _enrolled(raw, second["id"])
    await _seen(app, first, STUDENTS)
    await _seen(app, second, STUDENTS)
    # Both kept at once (0019): each slot holds its teacher's set, unless the two ids end in
    # the same hex digit, when the slot holds the set of the teacher seen last.
    epoch = await raw.fetchval("SELECT n FROM ge_roster_epoch")
    shared = str(first["id"])[-1] == str(second["id"])[-1]
    for teacher in (first, second):
        slot = str(teacher["id"])[-1]
        key = await app.fetchval(f"SELECT current_setting('ge.teacher_students_key_{slot}')")
        assert key == f"{(second if shared else teacher)['id']}:{epoch}"
    # A slot holding another teacher's set under its key is never taken for this teacher's.
    slot = str(first["id"])[-1]
    await app.execute(
        f"SELECT set_config('ge.teacher_students_key_{slot}', $1, false), "
        f"set_config('ge.teacher_students_{slot}', $2, false)",
        f"{second['id']}:{epoch}",
        "{" + ",".join(str(s) for s in theirs) + "}",
    )
    assert await _seen(app, first, STUDENTS) == mine


async def test_an_enrollment_made_meanwhile_is_seen_in_the_teachers_next_transaction(
    session_factory: Factory, raw: asyncpg.Connection, app: asyncpg.Connection
) -> None:
    staff = await demo_staff(session_factory, raw)
    teacher = staff["teacher1"]
    mine = await _enrolled(raw, teacher["id"])
    assert await _seen(app, teacher, STUDENTS) == mine
    newcomer = await raw.fetchval(
        "SELECT id FROM students WHERE school_id = $1 AND id <> ALL($2::uuid[]) LIMIT 1",
        teacher["school_id"],
        list(mine),
    )
    await raw.execute(
        "INSERT INTO class_enrollments (class_id, student_id) "
        "SELECT id, $2 FROM classes WHERE teacher_id = $1 LIMIT 1",
        teacher["id"],
        newcomer,
    )
    assert await _seen(app, teacher, STUDENTS) == mine | {newcomer}


async def test_a_class_handed_to_another_teacher_leaves_the_first_teachers_set(
    session_factory: Factory, raw: asyncpg.Connection, app: asyncpg.Connection
) -> None:
    staff = await demo_staff(session_factory, raw)
    first, second = staff["teacher1"], staff["teacher2"]
    assert await _seen(app, first, STUDENTS) == await _enrolled(raw, first["id"])
    await raw.execute(
        "UPDATE classes SET teacher_id = $2 WHERE teacher_id = $1", first["id"], second["id"]
    )
    assert await _seen(app, first, STUDENTS) == set()


async def test_an_analysis_outside_the_teachers_classes_widens_their_set_at_once(
    session_factory: Factory, raw: asyncpg.Connection, app: asyncpg.Connection
) -> None:
    staff = await demo_staff(session_factory, raw)
    teacher = staff["teacher1"]
    mine = await _enrolled(raw, teacher["id"])
    assert await _seen(app, teacher, STUDENTS) == mine
    before = await raw.fetchval("SELECT n FROM ge_roster_epoch")
    # Of their own student: the set is unchanged and nothing is bumped.
    await raw.execute(
        "INSERT INTO analyses (student_id, teacher_id) VALUES ($1, $2)",
        sorted(mine)[0],
        teacher["id"],
    )
    assert await raw.fetchval("SELECT n FROM ge_roster_epoch") == before
    outsider = await raw.fetchval(
        "SELECT id FROM students WHERE school_id = $1 AND id <> ALL($2::uuid[]) LIMIT 1",
        teacher["school_id"],
        list(mine),
    )
    await raw.execute(
        "INSERT INTO analyses (student_id, teacher_id) VALUES ($1, $2)", outsider, teacher["id"]
    )
    assert await _seen(app, teacher, STUDENTS) == mine | {outsider}


async def test_the_rule_views_show_each_actor_only_what_their_policy_shows(
    session_factory: Factory, raw: asyncpg.Connection, app: asyncpg.Connection
) -> None:
    staff = await demo_staff(session_factory, raw)
    teacher, principal, admin = staff["teacher1"], staff["principal"], staff["admin"]
    student = sorted(await _enrolled(raw, teacher["id"]))[0]
    analysis = await raw.fetchval(
        "INSERT INTO analyses (student_id, teacher_id) VALUES ($1, $2) RETURNING id",
        student,
        teacher["id"],
    )
    school = {r[0] for r in await raw.fetch("SELECT id FROM students")}
    assert await _seen(app, teacher, "SELECT id FROM ge_teacher_analyses") == {analysis}
    assert await _seen(app, teacher, "SELECT id FROM ge_principal_students") == set()
    assert await _seen(app, teacher, "SELECT id FROM ge_principal_analyses") == set()
    assert await _seen(app, principal, "SELECT id FROM ge_principal_students") == school
    assert await _seen(app, principal, "SELECT id FROM ge_principal_analyses") == {analysis}
    assert await _seen(app, principal, "SELECT id FROM ge_teacher_analyses") == set()
    for view in ("ge_teacher_analyses", "ge_principal_students", "ge_principal_analyses"):
        assert await _seen(app, admin, f"SELECT id FROM {view}") == set(), view
    # Without an actor: nothing at all.
    async with app.transaction():
        assert await app.fetchval("SELECT count(*) FROM ge_school_classes") == 0


async def test_a_student_the_teacher_analysed_is_seen_without_working_out_their_set(
    session_factory: Factory, raw: asyncpg.Connection, app: asyncpg.Connection
) -> None:
    # Every statement of an interview joins its student: 0023's rule answers from the
    # teacher's own analysis of that student, and the set (a query, kept in 16 slots per
    # connection) is never built for it.
    staff = await demo_staff(session_factory, raw)
    teacher = staff["teacher1"]
    student = sorted(await _enrolled(raw, teacher["id"]))[0]
    await raw.execute(
        "INSERT INTO analyses (student_id, teacher_id) VALUES ($1, $2)", student, teacher["id"]
    )
    seen = await _seen(app, teacher, f"SELECT id FROM students WHERE id = '{student}'")
    assert seen == {student}
    slot = str(teacher["id"])[-1]
    key = await app.fetchval(f"SELECT current_setting('ge.teacher_students_key_{slot}', true)")
    assert not key
    # Another student of theirs, not analysed: the set decides, and is kept as before.
    other = sorted(await _enrolled(raw, teacher["id"]))[1]
    assert await _seen(app, teacher, f"SELECT id FROM students WHERE id = '{other}'") == {other}
    assert await app.fetchval(f"SELECT current_setting('ge.teacher_students_key_{slot}')")


async def test_another_teachers_analysis_of_a_student_does_not_show_that_student(
    session_factory: Factory, raw: asyncpg.Connection, app: asyncpg.Connection
) -> None:
    staff = await demo_staff(session_factory, raw)
    first, second = staff["teacher1"], staff["teacher2"]
    mine, theirs = await _enrolled(raw, first["id"]), await _enrolled(raw, second["id"])
    stranger = sorted(theirs - mine)[0]
    await raw.execute(
        "INSERT INTO analyses (student_id, teacher_id) VALUES ($1, $2)", stranger, second["id"]
    )
    assert await _seen(app, first, STUDENTS) == mine
    assert stranger in await _seen(app, second, STUDENTS)


async def test_a_teacher_sees_their_analyses_and_colleagues_of_their_students_only(
    session_factory: Factory, raw: asyncpg.Connection, app: asyncpg.Connection
) -> None:
    # 0025 rewrote the rule as a CASE ("I wrote it" first, then the set) so the planner keeps
    # it a filter; the rows it shows must be exactly the OR's. (That a Year-3 history no longer
    # builds the set is shown by bench-summary: the demo's small tables are planned alike
    # either way.)
    staff = await demo_staff(session_factory, raw)
    first, second = staff["teacher1"], staff["teacher2"]
    mine, theirs = await _enrolled(raw, first["id"]), await _enrolled(raw, second["id"])
    student = sorted(mine)[0]
    own = await raw.fetchval(
        "INSERT INTO analyses (student_id, teacher_id) VALUES ($1, $2) RETURNING id",
        student,
        first["id"],
    )
    by_student = f"SELECT id FROM analyses WHERE student_id = '{student}'"
    async with app.transaction():
        # Read through the indexes, as at scale (the demo's tables are small enough to scan).
        await app.execute("SET LOCAL enable_seqscan = off")
        await app.fetchval(
            "SELECT ge_act_as($1, $2, $3)", first["id"], first["role"], first["school_id"]
        )
        assert {row[0] for row in await app.fetch(by_student)} == {own}
    slot = str(first["id"])[-1]
    key = await app.fetchval(f"SELECT current_setting('ge.teacher_students_key_{slot}', true)")
    assert not key
    # Another teacher's analysis of my student: the set decides (and is kept, as before).
    colleague = await raw.fetchval(
        "INSERT INTO analyses (student_id, teacher_id) VALUES ($1, $2) RETURNING id",
        student,
        second["id"],
    )
    assert await _seen(app, first, by_student) == {own, colleague}
    assert await app.fetchval(f"SELECT current_setting('ge.teacher_students_key_{slot}')")
    # Another teacher's analysis of a student who is not mine is not seen.
    stranger = sorted(theirs - mine)[0]
    hidden = await raw.fetchval(
        "INSERT INTO analyses (student_id, teacher_id) VALUES ($1, $2) RETURNING id",
        stranger,
        second["id"],
    )
    everything = "SELECT id FROM analyses"
    seen = await _seen(app, first, everything)
    assert own in seen and colleague in seen and hidden not in seen
