"""Roster CSV import: encodings, line-numbered rejections that write nothing, upserts, CLI."""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
import unicodedata
import uuid
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.cli_roster import add_roster_parser, run_roster
from core.actor import Actor, Channel, system_actor
from core.errors import AccessDenied, NotFound
from core.models import UserRole
from core.roster_csv import RosterRejected, RowError, parse_roster, sniff
from core.services.roster_import import ImportReport, import_roster
from tests.service_fixtures import seeding

ROOT = Path(__file__).resolve().parents[2]
CODE = "SCH1"
STUDENTS = (
    "student_id,first_name,last_name,grade_level,date_of_birth,gender\n"
    "S1,דנה,לוי,5,2015-03-01,F\n"
    "S2,Liam,O'Brien,5,01/02/2015,\n"
    "S3,מִרְיָם,כהן,6,,\n"
)
CLASSES = (
    "name,subject,grade_level,section,academic_year,teacher_email\n"
    "מתמטיקה ה'1,מתמטיקה,5,1,2026-2027,Teacher@School.IL\n"
    "English 5-2,English,5,2,2026-2027,teacher@school.il\n"
)
ENROLLMENTS = (
    "student_id,class_name,academic_year\n"
    "S1,מתמטיקה ה'1,2026-2027\n"
    "S2,English 5-2,2026-2027\n"
    "S3,מתמטיקה ה'1,2026-2027\n"
)


@pytest.fixture
async def school(raw: asyncpg.Connection) -> dict[str, uuid.UUID]:
    """A school with an admin, a principal, a teacher, an inactive teacher; ids by email."""
    school_id = await raw.fetchval(
        "INSERT INTO schools (name, code) VALUES ('בית ספר', $1) RETURNING id", CODE
    )
    other = await raw.fetchval(
        "INSERT INTO schools (name, code) VALUES ('x', 'OTHER') RETURNING id"
    )
    ids = {"school": school_id}
    for email, role, active, where in [
        ("admin@school.il", "ADMIN", True, school_id),
        ("principal@school.il", "PRINCIPAL", True, school_id),
        ("teacher@school.il", "TEACHER", True, school_id),
        ("gone@school.il", "TEACHER", False, school_id),
        ("elsewhere@other.il", "TEACHER", True, other),
    ]:
        ids[email] = await raw.fetchval(
            "INSERT INTO users (email, role, first_name, last_name, school_id, is_active) "
            "VALUES ($1, $2, 'n', 'm', $3, $4) RETURNING id",
            email,
            role,
            where,
            active,
        )
    return ids


def _actor(ids: dict[str, uuid.UUID], email: str, role: UserRole) -> Actor:
    return Actor(ids[email], email, role, ids["school"], None, Channel("SHELL"))


async def _import(
    factory: async_sessionmaker[AsyncSession],
    kind: str,
    data: bytes | str,
    *,
    actor: Actor | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    async with seeding(factory) as uow:
        return await import_roster(
            uow=uow,
            actor=actor or system_actor(),
            school_code=CODE,
            kind=kind,  # type: ignore[arg-type]
            data=data.encode() if isinstance(data, str) else data,
            progress=progress,
        )


async def _counts(raw: asyncpg.Connection) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        await raw.fetchrow(
            "SELECT (SELECT count(*) FROM students), (SELECT count(*) FROM classes), "
            "(SELECT count(*) FROM class_enrollments)"
        )
    )


async def _rejected(
    factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection, kind: str, data: bytes
) -> list[RowError]:
    """Import `data` expecting a rejection; assert nothing changed and the attempt is audited."""
    before = await _counts(raw)
    with pytest.raises(RosterRejected) as caught:
        await _import(factory, kind, data)
    assert await _counts(raw) == before
    failures = await raw.fetch(
        "SELECT metadata FROM audit_logs WHERE resource = 'Roster' "
        "AND metadata->>'error' = 'roster_rejected'"
    )
    assert failures and json.loads(failures[-1]["metadata"])["failed"] is True
    print(caught.value.report())
    return caught.value.errors


# --- encodings -------------------------------------------------------------------------------


async def test_utf8_students_import_with_counts_and_one_audit_row(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection, school: dict
) -> None:
    report = await _import(session_factory, "students", STUDENTS)
    assert (report.created, report.updated, report.unchanged, report.rows) == (3, 0, 0, 3)
    assert report.encoding == "utf-8"
    rows = await raw.fetch(
        "SELECT student_id, first_name, date_of_birth::date AS born, gender FROM students "
        "ORDER BY student_id"
    )
    assert [(r["student_id"], r["first_name"]) for r in rows] == [
        ("S1", "דנה"),
        ("S2", "Liam"),
        ("S3", unicodedata.normalize("NFC", "מִרְיָם")),
    ]
    assert [str(r["born"]) for r in rows] == ["2015-03-01", "2015-02-01", "None"]
    assert [r["gender"] for r in rows] == ["F", None, None]
    audit = await raw.fetch("SELECT action, metadata FROM audit_logs WHERE resource = 'Roster'")
    assert len(audit) == 1 and audit[0]["action"] == "CREATE"
    meta = json.loads(audit[0]["metadata"])
    ids = {str(i) for i in await raw.fetchval("SELECT array_agg(id) FROM students")}
    assert set(meta["studentIds"]) == ids
    assert (meta["kind"], meta["created"], meta["updated"], meta["unchanged"]) == (
        "students",
        3,
        0,
        0,
    )


async def test_bom_header_is_read(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection, school: dict
) -> None:
    report = await _import(session_factory, "students", b"\xef\xbb\xbf" + STUDENTS.encode())
    assert (report.encoding, report.created) == ("utf-8-sig", 3)


async def test_windows_1255_hebrew_is_detected(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection, school: dict
) -> None:
    data = STUDENTS.replace("Liam,O'Brien", "יוֹסֵף,אֶלְבָּז").encode("cp1255")
    report = await _import(session_factory, "students", data)
    assert (report.encoding, report.created) == ("cp1255", 3)
    name = await raw.fetchval("SELECT last_name FROM students WHERE student_id = 'S2'")
    assert name == unicodedata.normalize("NFC", "אֶלְבָּז")


async def test_windows_1255_bad_row_names_its_line(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection, school: dict
) -> None:
    data = (STUDENTS + "S4,רוּת,,5,,\n").encode("cp1255")
    assert await _rejected(session_factory, raw, "students", data) == [
        RowError(5, "last_name", "empty; a value is required")
    ]


async def test_neither_utf8_nor_hebrew_is_refused_clearly(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection, school: dict
) -> None:
    header = STUDENTS.splitlines()[0]
    data = (header + "\nS1,Ava,Davis,5,,\nS4,José,García,5,,\n").encode("latin-1")
    [error] = await _rejected(session_factory, raw, "students", data)
    assert error.line == 3 and "neither UTF-8 nor Windows-1255" in error.reason


# --- rejections: line, column, reason; nothing written -------------------------------------


async def test_bad_date(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection, school: dict
) -> None:
    data = (STUDENTS + "S4,Ava,Davis,5,31/02/2015,F\nS5,Mia,Cohen,5,2015/03/01,\n").encode()
    errors = await _rejected(session_factory, raw, "students", data)
    assert [(e.line, e.column) for e in errors] == [(5, "date_of_birth"), (6, "date_of_birth")]
    assert "YYYY-MM-DD or DD/MM/YYYY" in errors[0].reason


async def test_duplicate_student_id_in_file(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection, school: dict
) -> None:
    data = (STUDENTS + "\nS2,Other,Person,5,,\n").encode()  # line 5 blank, as Excel shows it
    assert await _rejected(session_factory, raw, "students", data) == [
        RowError(6, "student_id", "duplicate student_id 'S2', first on line 3")
    ]


async def test_unknown_inactive_and_foreign_teacher_emails(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection, school: dict
) -> None:
    data = (
        CLASSES
        + "Art,Art,5,1,2026-2027,nobody@school.il\n"
        + "Music,,,,2026-2027,gone@school.il\n"
        + "Gym,,,,2026-2027,elsewhere@other.il\n"
        + "Ethics,,,,2026-2027,principal@school.il\n"
    ).encode()
    errors = await _rejected(session_factory, raw, "classes", data)
    assert [(e.line, e.column) for e in errors] == [(n, "teacher_email") for n in (4, 5, 6, 7)]
    assert [e.reason for e in errors] == [
        "'nobody@school.il': no user has this email",
        "'gone@school.il': the account is inactive",
        "'elsewhere@other.il': not on the staff of this school",
        "'principal@school.il': a principal, not a teacher",
    ]


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n\r\n", b",,,\n"])
async def test_empty_file(
    session_factory: async_sessionmaker[AsyncSession],
    raw: asyncpg.Connection,
    school: dict,
    data: bytes,
) -> None:
    [error] = await _rejected(session_factory, raw, "students", data)
    assert (error.line, error.column) == (1, None) and "empty" in error.reason


async def test_header_only(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection, school: dict
) -> None:
    data = STUDENTS.splitlines()[0].encode()
    assert await _rejected(session_factory, raw, "students", data) == [
        RowError(2, None, "no data lines after the header")
    ]


async def test_header_missing_a_column_and_unknown_column(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection, school: dict
) -> None:
    data = STUDENTS.replace(",gender", ",phone").encode()
    errors = await _rejected(session_factory, raw, "students", data)
    assert [(e.line, e.column) for e in errors] == [(1, None), (1, "phone")]
    assert errors[0].reason.startswith("missing column 'gender'")
    assert errors[1].reason.startswith("unknown column")


async def test_wrong_number_of_values(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection, school: dict
) -> None:
    data = (STUDENTS + "S4,Ava,5,2015-01-01,F\n").encode()
    assert await _rejected(session_factory, raw, "students", data) == [
        RowError(5, None, "5 values, but the header has 6")
    ]


async def test_a_deleted_student_is_not_silently_revived(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection, school: dict
) -> None:
    await _import(session_factory, "students", STUDENTS)
    await raw.execute("UPDATE students SET deleted_at = now() WHERE student_id = 'S3'")
    assert await _rejected(session_factory, raw, "students", STUDENTS.encode()) == [
        RowError(4, "student_id", "belongs to a deleted student; restore the student first")
    ]


async def test_enrollment_of_unknown_student_or_class(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection, school: dict
) -> None:
    await _import(session_factory, "students", STUDENTS)
    await _import(session_factory, "classes", CLASSES)
    data = (ENROLLMENTS + "S9,English 5-2,2026-2027\nS1,English 5-2,2025-2026\n").encode()
    errors = await _rejected(session_factory, raw, "enrollments", data)
    assert [(e.line, e.column) for e in errors] == [(5, "student_id"), (6, "class_name")]


async def test_kind_given_does_not_match_the_file(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection, school: dict
) -> None:
    errors = await _rejected(session_factory, raw, "students", CLASSES.encode())
    assert {e.line for e in errors} == {1}


# --- happy paths, idempotence, NFC ---------------------------------------------------------


async def test_classes_and_enrollments(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection, school: dict
) -> None:
    await _import(session_factory, "students", STUDENTS)
    classes = await _import(session_factory, "classes", CLASSES)
    assert (classes.created, classes.updated) == (2, 0)
    teachers = await raw.fetch("SELECT DISTINCT teacher_id FROM classes")
    assert [t["teacher_id"] for t in teachers] == [school["teacher@school.il"]]
    enrollments = await _import(session_factory, "enrollments", ENROLLMENTS)
    assert (enrollments.created, enrollments.updated, enrollments.unchanged) == (3, 0, 0)
    assert await _counts(raw) == (3, 2, 3)

    again = await _import(session_factory, "classes", CLASSES.replace(",1,2026", ",3,2026"))
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    assert again.changed_fields == ("section",)
    # A dropped enrollment listed again is enrolled again.
    await raw.execute("UPDATE class_enrollments SET dropped_at = now()")
    one = ENROLLMENTS.splitlines()[0] + "\nS2,English 5-2,2026-2027\n"
    back = await _import(session_factory, "enrollments", one)
    assert (back.created, back.updated, back.changed_fields) == (0, 1, ("dropped_at",))
    active = "SELECT count(*) FROM class_enrollments WHERE dropped_at IS NULL"
    assert await raw.fetchval(active) == 1


async def test_reimport_changes_nothing_then_an_edit_updates_one_row(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection, school: dict
) -> None:
    await _import(session_factory, "students", STUDENTS)
    stamps = await raw.fetch("SELECT id, updated_at FROM students ORDER BY id")
    again = await _import(session_factory, "students", STUDENTS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert await raw.fetch("SELECT id, updated_at FROM students ORDER BY id") == stamps
    edited = await _import(session_factory, "students", STUDENTS.replace("S1,דנה", "S1,דינה"))
    assert (edited.updated, edited.changed_fields) == (1, ("first_name",))
    meta = json.loads(
        await raw.fetchval(
            "SELECT metadata FROM audit_logs WHERE resource = 'Roster' ORDER BY created_at DESC"
        )
    )
    assert meta["changedFields"] == ["first_name"] and len(meta["studentIds"]) == 1
    assert "דינה" not in json.dumps(meta, ensure_ascii=False)  # field names, never values


async def test_decomposed_input_is_stored_composed(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection, school: dict
) -> None:
    decomposed = unicodedata.normalize("NFD", "José")
    assert decomposed != "José"
    await _import(session_factory, "students", STUDENTS.replace("Liam", decomposed))
    assert await raw.fetchval("SELECT first_name FROM students WHERE student_id = 'S2'") == "José"
    again = await _import(session_factory, "students", STUDENTS.replace("Liam", "José"))
    assert again.unchanged == 3


async def test_kind_is_inferred_from_the_header() -> None:
    assert sniff(STUDENTS.encode()) == ("students", 3)
    assert sniff(CLASSES.encode("cp1255")) == ("classes", 2)
    assert sniff(ENROLLMENTS.encode()) == ("enrollments", 3)
    assert parse_roster(ENROLLMENTS.replace(",", ";").encode()).kind == "enrollments"


# --- who may import ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "role"),
    [("principal@school.il", UserRole.PRINCIPAL), ("teacher@school.il", UserRole.TEACHER)],
)
async def test_only_admins_import(
    session_factory: async_sessionmaker[AsyncSession],
    raw: asyncpg.Connection,
    school: dict,
    email: str,
    role: UserRole,
) -> None:
    with pytest.raises(AccessDenied):
        await _import(session_factory, "students", STUDENTS, actor=_actor(school, email, role))
    assert await _counts(raw) == (0, 0, 0)
    assert await raw.fetchval(
        "SELECT count(*) FROM audit_logs WHERE resource = 'Roster' "
        "AND metadata->>'denied' = 'true' AND user_email = $1",
        email,
    )
    admin = _actor(school, "admin@school.il", UserRole.ADMIN)
    assert (await _import(session_factory, "students", STUDENTS, actor=admin)).created == 3


async def test_unknown_school(
    session_factory: async_sessionmaker[AsyncSession], school: dict
) -> None:
    async with seeding(session_factory) as uow:
        with pytest.raises(NotFound):
            await import_roster(
                uow=uow, actor=system_actor(), school_code="NOPE", kind="students", data=b""
            )


# --- scale ---------------------------------------------------------------------------------


def _big_file(count: int) -> bytes:
    firsts = ["נועה", "דוד", "Liam", "מִרְיָם", "José"]
    lines = ["student_id,first_name,last_name,grade_level,date_of_birth,gender"]
    lines += [
        f"T{i:05d},{firsts[i % 5]},כהן-{i},{1 + i % 12},{1 + i % 28:02d}/0{1 + i % 9}/2012,"
        + "FM"[i % 2]
        for i in range(count)
    ]
    return ("\n".join(lines) + "\n").encode()


async def test_fifteen_thousand_students_import_once_then_change_nothing(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection, school: dict
) -> None:
    data = _big_file(15_000)
    ticks: list[int] = []
    started = time.perf_counter()
    first = await _import(session_factory, "students", data, progress=ticks.append)
    first_time = time.perf_counter() - started
    assert (first.created, first.updated) == (15_000, 0)
    assert sum(ticks) == 15_000 and len(ticks) == 15
    stamps = await raw.fetchval("SELECT max(updated_at) FROM students")
    started = time.perf_counter()
    second = await _import(session_factory, "students", data)
    second_time = time.perf_counter() - started
    assert (second.created, second.updated, second.unchanged) == (0, 0, 15_000)
    assert await raw.fetchval("SELECT max(updated_at) FROM students") == stamps
    assert await raw.fetchval("SELECT count(*) FROM students") == 15_000
    print(f"\n15,000 students: import {first_time:.2f}s, re-import {second_time:.2f}s")
    assert first_time < 30 and second_time < 30


# --- CLI -----------------------------------------------------------------------------------


def _cli_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="growth-engine")
    add_roster_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


async def test_cli_imports_in_dependency_order_and_prints_a_summary(
    database_url: str,
    raw: asyncpg.Connection,
    school: dict,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = []
    for name, text in [("e.csv", ENROLLMENTS), ("c.csv", CLASSES), ("s.csv", STUDENTS)]:
        (tmp_path / name).write_text(text, encoding="utf-8")
        files.append(str(tmp_path / name))
    code = await asyncio.to_thread(
        run_roster, _cli_args("roster", "import", "--school", CODE, *files), database_url
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.index("s.csv") < out.index("c.csv") < out.index("e.csv")
    assert "students for SCH1: 3 rows (utf-8): 3 created, 0 updated, 0 unchanged" in out
    assert await _counts(raw) == (3, 2, 3)


async def test_cli_rejected_file_exits_1_with_the_report(
    database_url: str,
    raw: asyncpg.Connection,
    school: dict,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes((STUDENTS + "S4,Ava,Davis,5,2015-13-01,F\n").encode("cp1255"))
    args = _cli_args("roster", "import", "--school", CODE, "--kind", "students", str(bad))
    assert await asyncio.to_thread(run_roster, args, database_url) == 1
    err = capsys.readouterr().err
    assert "bad.csv: rejected, nothing imported" in err
    assert "line 5, column date_of_birth: '2015-13-01' is not a date" in err
    assert await _counts(raw) == (0, 0, 0)


async def test_cli_subprocess_shows_a_progress_bar(
    database_url: str, raw: asyncpg.Connection, school: dict, tmp_path: Path
) -> None:
    big = tmp_path / "big.csv"
    big.write_bytes(_big_file(2500))
    script = (
        "import argparse, sys\n"
        "from adapters.cli_roster import add_roster_parser, run_roster\n"
        "p = argparse.ArgumentParser()\n"
        "add_roster_parser(p.add_subparsers(dest='command'))\n"
        "sys.exit(run_roster(p.parse_args(sys.argv[2:]), sys.argv[1]))\n"
    )
    argv = [sys.executable, "-c", script, database_url, "roster", "import", "--school", CODE]
    done = await asyncio.to_thread(
        subprocess.run, [*argv, str(big)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "2500/2500" in done.stderr
    assert "2500 created" in done.stdout
    assert await raw.fetchval("SELECT count(*) FROM students") == 2500


async def test_cli_unknown_school_exits_1(
    database_url: str, school: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.csv"
    path.write_text(STUDENTS, encoding="utf-8")
    args = _cli_args("roster", "import", "--school", "NOPE", str(path))
    assert await asyncio.to_thread(run_roster, args, database_url) == 1
    assert "School not found: NOPE" in capsys.readouterr().err
