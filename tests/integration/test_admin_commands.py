"""Admin commands through the chat handler (and the CLI): success, refusal, bad arguments."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.cli_admin import add_admin_parser, run_admin
from bot import admin_commands
from bot.admin_commands import Call, execute, handle, parse, split
from bot.context import Context
from bot.engine import DialogueEngine
from bot.events import Attachment, Incoming, Reply
from bot.i18n import CATALOGUE
from core import identity
from core.actor import Channel
from core.models import ChatPlatform
from core.periods import SCHOOL_TZ
from core.services.linking import code_hash
from tests.dialogue_fixtures import make_engine, seed_and_link
from tests.service_fixtures import seeding

Factory = async_sessionmaker[AsyncSession]
Say = Callable[..., Awaitable[list[Reply]]]
EN = CATALOGUE["en"]
REFUSED = EN["role_refused"]
STUDENTS_CSV = (
    "student_id,first_name,last_name,grade_level,date_of_birth,gender\n"
    "T1,Ada,Lovelace,5,2015-12-10,F\n"
    "T2,Alan,Turing,5,,\n"
)


@pytest.fixture
async def engine(
    session_factory: Factory, fake_ai: Any, redis_client: Any, redis_namespace: str
) -> DialogueEngine:
    """The demo school with admin, principal and teachers linked to shell accounts."""
    await seed_and_link(session_factory)
    return make_engine(session_factory, fake_ai, redis_client, redis_namespace)


@pytest.fixture
def say(engine: DialogueEngine, session_factory: Factory) -> Say:
    """`admin TEXT` from a linked shell user (admin unless `who` says otherwise)."""

    async def send(
        text: str, *, who: str = "admin", language: str = "en", files: tuple[Attachment, ...] = ()
    ) -> list[Reply]:
        event = Incoming(
            ChatPlatform.SHELL, "local", who, f"chat-{who}", f"admin {text}", attachments=files
        )
        channel = Channel("SHELL", event.chat_id, "local")
        async with seeding(session_factory) as uow:
            user = await identity.resolve(uow, ChatPlatform.SHELL, "local", who, channel, "he")
        assert user is not None
        ctx = Context(event, user, data={"language": language})
        return await handle(engine, ctx, text, bot_username="GrowthEngineBot")

    return send


def text(replies: list[Reply]) -> str:
    """Every reply's text, one after the other."""
    return "\n".join(r.text for r in replies)


# --- the grammar -------------------------------------------------------------------------------


def test_words_are_split_like_a_shell_but_apostrophes_inside_names_are_letters() -> None:
    assert split("""user add a@b.co teacher "Anna Maria" O'Brien""") == [
        "user", "add", "a@b.co", "teacher", "Anna Maria", "O'Brien",
    ]  # fmt: skip
    assert split("retention \u2014dry-run") == ["retention", "--dry-run"]
    spec, values = parse(split("audit student \u2066Liam O'Brien\u2069 --before X"))
    assert spec.words == ("audit", "student")
    assert values == {"student": "Liam O'Brien", "before": "X"}


async def test_help_and_usage_errors_show_the_command_syntax(say: Say) -> None:
    assert "admin user add EMAIL ROLE FIRST LAST [SCHOOL]" in text(await say("help"))
    missing = text(await say("user add x@demo.school"))
    assert missing.startswith("Missing ROLE. Usage:")
    assert "admin user add EMAIL ROLE FIRST LAST [SCHOOL]" in missing
    assert "“frobnicate” is not an admin command." in text(await say("frobnicate"))
    assert "admin user add" not in text(await say("frobnicate"))
    assert "Unknown option --force" in text(await say("retention --force"))
    assert "Too many words" in text(await say("school list now"))


# --- refusal for everyone but admins -----------------------------------------------------------

COMMANDS = [
    "user add x@demo.school TEACHER Xa Ya",
    "user role teacher1@demo.school PRINCIPAL",
    "user deactivate teacher1@demo.school",
    "user reactivate teacher1@demo.school",
    "user list",
    "school add NEW New",
    "school list",
    "district add NEW New",
    "invite teacher1@demo.school",
    "roster import",
    "quota DEMO-01 5",
    "usage",
    "audit student Liam",
    "audit user teacher1@demo.school",
    "audit since 2020-01-01",
    "retention --dry-run",
    "record Liam",
]


@pytest.mark.parametrize("who", ["teacher1", "principal"])
async def test_every_admin_command_is_refused_to_others_and_the_refusal_audited(
    say: Say, raw: asyncpg.Connection, who: str
) -> None:
    before = await raw.fetchval("SELECT count(*) FROM audit_logs")
    for command in COMMANDS:
        assert text(await say(command, who=who)) == REFUSED, command
    rows = await raw.fetch(
        "SELECT resource, metadata->>'denied' AS denied FROM audit_logs "
        "ORDER BY created_at, id OFFSET $1",
        before,
    )
    assert [(r["resource"], r["denied"]) for r in rows] == [("Command:admin", "true")] * len(
        COMMANDS
    )
    assert await raw.fetchval("SELECT count(*) FROM users WHERE email = 'x@demo.school'") == 0


async def test_a_refused_service_answers_with_the_refusal_even_without_the_gate(
    engine: DialogueEngine, session_factory: Factory
) -> None:
    async with seeding(session_factory) as uow:
        teacher = await identity.resolve(
            uow, ChatPlatform.SHELL, "local", "teacher1", Channel("SHELL"), "en"
        )
    assert teacher is not None
    call = Call(engine.uow, teacher.actor, "en")
    outcome = await execute(call, "quota DEMO-01 5")
    assert (text(outcome.replies), outcome.status) == (REFUSED, 1)


async def test_a_chat_that_carries_files_is_asked_to_attach_the_roster(
    engine: DialogueEngine, session_factory: Factory
) -> None:
    async with seeding(session_factory) as uow:
        admin = await identity.resolve(
            uow, ChatPlatform.SHELL, "local", "admin", Channel("SHELL"), "en"
        )
    assert admin is not None
    outcome = await execute(Call(engine.uow, admin.actor, "en"), "roster import DEMO-01")
    assert (text(outcome.replies), outcome.status) == (EN["admin_roster_attach"], 2)


# --- users -------------------------------------------------------------------------------------


async def test_user_add_role_deactivate_reactivate_and_list(
    say: Say, raw: asyncpg.Connection
) -> None:
    added = text(await say("user add New.T@Demo.School teacher 'Anna Maria' Levi DEMO-01"))
    assert added == "Added \u2066Anna Maria Levi\u2069 <new.t@demo.school> as TEACHER."
    row = await raw.fetchrow(
        "SELECT role::text, is_active FROM users WHERE email = 'new.t@demo.school'"
    )
    assert (row["role"], row["is_active"]) == ("TEACHER", True)
    assert text(await say("user role new.t@demo.school principal")) == (
        "new.t@demo.school is now PRINCIPAL."
    )
    assert (
        text(await say("user deactivate new.t@demo.school")) == "new.t@demo.school is deactivated."
    )
    listed = text(await say("user list DEMO-01"))
    assert listed.startswith("Staff (page 1):")
    assert "<new.t@demo.school> PRINCIPAL (inactive)" in listed
    assert (
        text(await say("user reactivate new.t@demo.school")) == "new.t@demo.school is active again."
    )
    assert await raw.fetchval("SELECT is_active FROM users WHERE email = 'new.t@demo.school'")


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("user add x@demo.school BOSS Xa Ya", "That did not work: the role — “BOSS” is not"),
        ("user add x@demo.school TEACHER Xa Ya NOPE", "There is no school with the code “NOPE”."),
        ("user add not-an-email TEACHER Xa Ya", "That did not work: the email address — “"),
        ("user role teacher1@demo.school BOSS", "That did not work: the role — “BOSS” is not"),
        ("user role nobody@demo.school ADMIN", "There is no user nobody@demo.school."),
        ("user role teacher1@@demo TEACHER", "That did not work: the email address — “"),
        ("user deactivate nobody@demo.school", "There is no user nobody@demo.school."),
        ("user deactivate bad@", "That did not work: the email address — “"),
        ("user reactivate teacher1@demo.school", "teacher1@demo.school is already active; nothing"),
        ("user list NOPE", "There is no school with the code “NOPE”."),
        ("user list --page x", "That did not work: the page number must be a whole number"),
    ],
)
async def test_user_commands_with_a_bad_argument_say_what_is_wrong(
    say: Say, command: str, message: str
) -> None:
    assert text(await say(command)).startswith(message)


# --- schools and districts ---------------------------------------------------------------------


async def test_district_and_school_add_and_list(say: Say, raw: asyncpg.Connection) -> None:
    assert text(await say("district add NORTH 'מחוז צפון'")) == "Added district NORTH: מחוז צפון."
    assert text(await say("school add N-7 'North Seven' NORTH")) == (
        "Added school N-7: \u2066North Seven\u2069."
    )
    district = await raw.fetchval(
        "SELECT d.code FROM schools s JOIN districts d ON d.id = s.district_id WHERE s.code = 'N-7'"
    )
    assert district == "NORTH"
    listed = text(await say("school list"))
    assert listed.startswith("Schools:") and "• N-7: \u2066North Seven\u2069" in listed


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("school add N-8 Eight NOPE", "There is no district with the code “NOPE”."),
        ("school add DEMO-01 Again", "There is already a school with the code DEMO-01;"),
        ("school add 'A B' Name", "That did not work: the code — 1 to 64 characters"),
        ("school add N-9", "Missing NAME. Usage:"),
        ("district add DEMO-DIST Again", "There is already a district with the code DEMO-D"),
    ],
)
async def test_school_and_district_bad_arguments(say: Say, command: str, message: str) -> None:
    assert text(await say(command)).startswith(message)


# --- invite ------------------------------------------------------------------------------------


async def test_invite_gives_a_one_time_code_and_a_deep_link_valid_72_hours(
    say: Say, raw: asyncpg.Connection
) -> None:
    reply = text(await say("invite Teacher2@Demo.School"))
    link = await raw.fetchrow(
        "SELECT l.code, l.expires_at - l.created_at AS ttl FROM link_codes l "
        "JOIN users u ON u.id = l.user_id WHERE u.email = 'teacher2@demo.school'"
    )
    assert str(link["ttl"]) == "3 days, 0:00:00"
    code = re.search(r"valid for 72 hours: ([A-Za-z0-9_-]+)", reply)
    assert code is not None and code_hash(code.group(1)) == link["code"]  # only the hash is kept
    assert f"https://t.me/GrowthEngineBot?start={code.group(1)}" in reply


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("invite nobody@demo.school", "There is no user nobody@demo.school."),
        ("invite nobody", "That did not work: the email address — “"),
    ],
)
async def test_invite_bad_arguments(say: Say, command: str, message: str) -> None:
    assert text(await say(command)).startswith(message)


# --- roster import -----------------------------------------------------------------------------


async def test_roster_import_from_an_attached_csv(say: Say, raw: asyncpg.Connection) -> None:
    csv_file = Attachment("students.csv", STUDENTS_CSV.encode(), "text/csv")
    reply = text(await say("roster import", files=(csv_file,)))  # the admin's own school
    assert reply == (
        "Imported students into DEMO-01 (2 rows, utf-8): 2 created, 0 updated, 0 unchanged."
    )
    assert await raw.fetchval("SELECT count(*) FROM students WHERE student_id IN ('T1', 'T2')") == 2


async def test_a_rejected_roster_returns_the_line_numbered_report(
    say: Say, raw: asyncpg.Connection
) -> None:
    bad = STUDENTS_CSV + "T3,Grace,,5,31/02/2015,F\nT1,Ada,Again,5,,\n"
    replies = await say(
        "roster import DEMO-01 students", files=(Attachment("s.csv", bad.encode(), "text/csv"),)
    )
    lines = text(replies).splitlines()
    assert lines[0] == "The file was rejected; nothing was imported:"
    assert lines[1].startswith("line 4, column date_of_birth:")
    assert lines[2].startswith("line 4, column last_name:")
    assert lines[3] == "line 5, column student_id: duplicate student_id 'T1', first on line 2"
    assert await raw.fetchval("SELECT count(*) FROM students WHERE student_id LIKE 'T%'") == 0


async def test_a_hebrew_admin_reads_a_roster_import_in_hebrew(say: Say) -> None:
    enrollments = "student_id,class_name,academic_year\nNOPE-1,5X,2026\n"
    csv_file = Attachment("e.csv", enrollments.encode(), "text/csv")
    reply = text(await say("roster import DEMO-01", language="he", files=(csv_file,)))
    assert reply.splitlines() == [
        "הקובץ נדחה; דבר לא יובא:",
        "שורה 2, עמודה class_name: אין כיתה „5X” לשנת 2026 (ייבאו קודם את הכיתות)",
        "שורה 2, עמודה student_id: אין בבית הספר תלמיד/ה עם ה-student_id הזה (ייבאו קודם את "
        "התלמידים)",
    ]
    students = Attachment("s.csv", STUDENTS_CSV.encode(), "text/csv")
    done = text(await say("roster import DEMO-01", language="he", files=(students,)))
    assert done.startswith("יובאו תלמידים אל DEMO-01 (")


@pytest.mark.parametrize(
    ("command", "files", "message"),
    [
        ("roster import", (), "The terminal chat cannot attach a file: import it from the "
         "shell with growth-engine admin roster import --attach FILE.csv"),
        ("roster import NOPE", (Attachment("s.csv", STUDENTS_CSV.encode(), "text/csv"),),
         "There is no school with the code “NOPE”."),
        ("roster import DEMO-01 teachers", (Attachment("s.csv", b"x", "text/csv"),),
         "That did not work: the kind of file — “teachers” is not one; write one of students, "
         "classes, enrollments"),
    ],
)  # fmt: skip
async def test_roster_import_bad_arguments(
    say: Say, command: str, files: tuple[Attachment, ...], message: str
) -> None:
    assert text(await say(command, files=files)).startswith(message)


# --- quota and usage ---------------------------------------------------------------------------


async def test_quota_sets_the_schools_monthly_limit(say: Say, raw: asyncpg.Connection) -> None:
    assert text(await say("quota DEMO-01 25")) == (
        "Monthly analysis quota of DEMO-01: 25 (was: no limit)."
    )
    settings = await raw.fetchval("SELECT settings FROM schools WHERE code = 'DEMO-01'")
    assert json.loads(settings) == {"language": "he", "analysisQuota": {"monthly": 25}}
    assert text(await say("quota DEMO-01 off")) == (
        "Monthly analysis quota of DEMO-01: no limit (was: 25)."
    )
    audit = await raw.fetchrow(
        "SELECT resource, metadata FROM audit_logs WHERE action = 'UPDATE' "
        "ORDER BY created_at DESC LIMIT 1"
    )
    assert audit["resource"] == "School"
    assert json.loads(audit["metadata"])["changedFields"] == ["settings.analysisQuota.monthly"]


async def test_quota_without_a_limit_shows_each_schools_limit_and_what_it_used(
    say: Say, raw: asyncpg.Connection
) -> None:
    # An operator asking "admin quota" wants to see the limits before changing one.
    student, teacher = await raw.fetchrow(
        "SELECT s.id, u.id FROM students s, users u WHERE u.email = 'teacher1@demo.school' "
        "LIMIT 1"
    )
    for _ in range(2):
        await raw.execute(
            "INSERT INTO analyses (student_id, teacher_id) VALUES ($1, $2)", student, teacher
        )
    shown = text(await say("quota"))
    assert shown.startswith("Monthly analysis quotas, ")
    assert "• DEMO-01 " in shown and ": 2 analyses, no limit" in shown
    await say("quota DEMO-01 25")
    assert ": 2 analyses of 25 used" in text(await say("quota DEMO-01"))
    await say("quota DEMO-01 off")
    await raw.execute(
        "UPDATE districts SET settings = '{\"analysisQuota\": {\"monthly\": 40}}'::jsonb"
    )
    assert "2 analyses of 40 used (the district's limit)" in text(await say("quota"))
    hebrew = text(await say("quota", language="he"))
    assert "נוצלו שני ניתוחים מתוך 40 (המכסה של המחוז)" in hebrew
    audit = await raw.fetchrow(
        "SELECT action::text, resource, metadata FROM audit_logs "
        "WHERE metadata->>'operation' = 'quotas' ORDER BY created_at DESC LIMIT 1"
    )
    assert (audit["action"], audit["resource"]) == ("READ", "School")
    assert json.loads(audit["metadata"])["schoolCodes"] == ["DEMO-01"]


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("quota NOPE 5", "There is no school with the code “NOPE”."),
        (
            "quota DEMO-01 many",
            "That did not work: the monthly limit (N) must be a whole number, not “many”.",
        ),
        ("quota NOPE", "There is no school with the code “NOPE”."),
    ],
)
async def test_quota_bad_arguments(say: Say, command: str, message: str) -> None:
    assert text(await say(command)).startswith(message)


async def _analysis(raw: asyncpg.Connection, teacher: str, student: str, at: str, **v: Any) -> None:
    await raw.execute(
        "INSERT INTO analyses (student_id, teacher_id, status, total_tokens, estimated_cost, "
        "created_at) SELECT s.id, u.id, 'COMPLETED', $3, $4, $5 "
        "FROM students s, users u WHERE s.student_id = $2 AND u.email = $1",
        teacher, student, v["tokens"], v["cost"], datetime.fromisoformat(at),
    )  # fmt: skip


async def test_usage_by_school_and_teacher_for_a_month(say: Say, raw: asyncpg.Connection) -> None:
    await _analysis(
        raw, "teacher1@demo.school", "S1001", "2026-03-01T00:00:00Z", tokens=1000, cost=0.5
    )
    await _analysis(
        raw, "teacher1@demo.school", "S1002", "2026-03-31T23:59:00Z", tokens=500, cost=0.25
    )
    await _analysis(
        raw, "teacher2@demo.school", "S1003", "2026-03-15T12:00:00Z", tokens=2000, cost=1.0
    )
    await _analysis(
        raw, "teacher2@demo.school", "S1003", "2026-04-01T00:00:00Z", tokens=9, cost=9.0
    )
    lines = text(await say("usage 2026-03")).splitlines()
    assert lines[0] == "Usage in 2026-03:"
    assert lines[1] == "DEMO-01: 3 analyses, 3,500 tokens, $1.750"
    assert (
        "  • \u2066Michael Green\u2069 <teacher2@demo.school>: 1 analysis, 2,000 tokens, $1.000"
        in lines
    )
    assert "  • דנה לוי <teacher1@demo.school>: 2 analyses, 1,500 tokens, $0.750" in lines
    assert lines[-1] == "Total: 3 analyses, 3,500 tokens, $1.750"
    assert text(await say("usage 2025-01")) == "No analyses in 2025-01."


async def test_usage_bad_month(say: Say) -> None:
    assert text(await say("usage 2026-13")).startswith(
        "That did not work: the month — write it as YYYY-MM, e.g. 2026-11, not “2026-13”"
    )


# --- audit -------------------------------------------------------------------------------------


async def test_audit_by_student_user_and_date_newest_first_and_paginated(
    say: Say, raw: asyncpg.Connection
) -> None:
    await say("user add a1@demo.school TEACHER Aa Bb")
    await say("user role a1@demo.school PRINCIPAL")
    assert text(await say("audit user a1@demo.school")).splitlines() == [
        "Audit trail of a1@demo.school, newest first:",
        "Nothing to show.",  # what a1 did: nothing yet
    ]
    by_admin = text(await say("audit user Admin@Demo.School")).splitlines()
    assert by_admin[0] == "Audit trail of Admin@Demo.School, newest first:"
    # Newest first, each command after its authorisation: audit user, user role, user add.
    used = " · admin@demo.school · used the admin command (READ Command:admin) · SHELL"
    assert used in by_admin[1]
    assert " · admin@demo.school · read the audit trail (READ AuditLog " in by_admin[2]
    assert " · admin@demo.school · changed a user (UPDATE User " in by_admin[4]
    assert " · admin@demo.school · created a user (CREATE User " in by_admin[6]
    for _ in range(5):
        await say("school list")  # two rows each: more than one page in all
    since = text(await say("audit since 2020-01-01")).splitlines()
    assert since[0] == "Audit trail since 2020-01-01, newest first:"
    assert len(since) == 1 + 20 + 1
    hint = "There is more: write “more” to see it, or copy the command: admin audit since "
    assert since[-1].startswith(hint + "2020-01-01 --before ")
    cursor = since[-1].rsplit(" ", 1)[-1]
    page_one = await raw.fetch("SELECT id FROM audit_logs ORDER BY created_at DESC, id DESC")
    assert str(page_one[20]["id"]) == cursor  # the last one shown (the newest is this read's)
    rest = text(await say(f"audit since 2020-01-01 --before {cursor}")).splitlines()
    expected = await raw.fetchval(
        "SELECT count(*) FROM audit_logs WHERE (created_at, id) < "
        "(SELECT created_at, id FROM audit_logs WHERE id = $1)",
        uuid.UUID(cursor),
    )
    seed = " · system · set up the demo school (CREATE Demo DEMO-01) · CLI"
    assert len(rest) == 1 + expected and rest[-1].endswith(seed)
    liam = text(await say("audit student Liam O'Brien")).splitlines()
    assert liam[0] == "Disclosure log of \u2066Liam O'Brien\u2069, newest first:"
    # The search that found him by his name (asked about, had it been a guess), then the seed.
    assert liam[1].endswith(" · admin@demo.school · read a student's record (READ Student) · SHELL")
    assert liam[2].endswith(seed)
    again = text(await say("audit student Liam O'Brien")).splitlines()
    # Reading his log is logged too.
    assert " · admin@demo.school · read the audit trail (READ AuditLog " in again[2]


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("audit since last-week",
         "That did not work: the date — write it as YYYY-MM-DD, today or yesterday, not “last-w"),
        ("audit user nobody@", "That did not work: the email address — “"),
        ("audit student Nobody Atall", "There is no student “Nobody Atall”."),
        ("audit student", "Missing STUDENT. Usage:"),
        ("audit since 2020-01-01 --before 7",
         "That did not work: the value after --before — the id given"),
    ],
)
async def test_audit_bad_arguments(say: Say, command: str, message: str) -> None:
    assert text(await say(command)).startswith(message)


@pytest.mark.parametrize(("word", "back"), [("today", 0), ("yesterday", 1), ("אתמול", 1)])
async def test_audit_since_takes_today_and_yesterday_in_either_language(
    say: Say, word: str, back: int
) -> None:
    day = datetime.now(SCHOOL_TZ).date() - timedelta(days=back)
    assert text(await say(f"audit since {word}")).startswith(f"Audit trail since {day}")


async def test_an_ambiguous_student_name_asks_for_the_id(say: Say) -> None:
    reply = text(await say("audit student לוי"))
    assert reply.startswith("That did not work: the student — 2 students match:")
    assert "give the id" in reply


# --- retention, record, Hebrew, CLI ------------------------------------------------------------


async def test_retention_dry_run_through_the_chat(say: Say) -> None:
    assert text(await say("retention --dry-run")) == (
        "Dry run: 0 students and 0 users would be anonymised. Nothing was changed."
    )


async def test_record_through_the_chat_attaches_json_and_csv(say: Say) -> None:
    replies = await say("record Liam O'Brien")
    assert replies[0].text.startswith("The full record of \u2066Liam O'Brien\u2069:")
    names = [a.filename for a in replies[0].attachments]
    assert names[0].endswith(".json") and names[1].endswith("-disclosures.csv")
    assert json.loads(replies[0].attachments[0].content)["student"]["lastName"] == "O'Brien"


async def test_hebrew_answers_and_errors(say: Say) -> None:
    assert text(await say("quota DEMO-01 7", language="he")) == (
        "מכסת הניתוחים החודשית של DEMO-01: 7 (קודם: ללא הגבלה)."
    )
    assert text(await say("user add x@demo.school TEACHER Xa Ya NOPE", language="he")) == (
        "אין בית ספר עם הקוד „NOPE”."
    )
    assert text(await say("user add x@demo.school", language="he")).startswith("חסר ROLE. שימוש:")


def _cli_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="growth-engine")
    add_admin_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["admin", *argv])


async def test_the_cli_runs_the_same_commands_as_the_system_actor(
    engine: DialogueEngine, database_url: str, raw: asyncpg.Connection, tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    csv_path = tmp_path / "students.csv"
    csv_path.write_text(STUDENTS_CSV)
    args = _cli_args("roster", "import", "DEMO-01", "--attach", str(csv_path))
    assert await asyncio.to_thread(run_admin, args, database_url) == 0
    assert "2 created" in capsys.readouterr().out
    args = _cli_args("--out", str(tmp_path), "record", "Liam", "O'Brien")
    assert await asyncio.to_thread(run_admin, args, database_url) == 0
    assert len(list(tmp_path.glob("student-record-*"))) == 2
    assert (
        await asyncio.to_thread(run_admin, _cli_args("user", "role", "x@", "ADMIN"), database_url)
        == 1
    )
    assert "“x@” is not an email address" in capsys.readouterr().err
    assert await asyncio.to_thread(run_admin, _cli_args("user", "add"), database_url) == 2
    who = await raw.fetch("SELECT DISTINCT user_email, metadata->'channel'->>'platform' AS p "
                          "FROM audit_logs WHERE resource IN ('Roster', 'Student')")  # fmt: skip
    assert {(r["user_email"], r["p"]) for r in who} >= {("system", "CLI")}


def test_every_spec_has_a_unique_command_and_every_catalogue_key_exists() -> None:
    assert len({s.words for s in admin_commands.SPECS}) == len(admin_commands.SPECS)
    en, he = CATALOGUE["en"], CATALOGUE["he"]
    assert {k for k in en if k.startswith("admin_")} == {k for k in he if k.startswith("admin_")}
