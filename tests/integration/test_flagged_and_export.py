"""Flagged reviews, CSV exports and the chat commands, on the scenario of test_summaries."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.charts import PNG_SIGNATURE, MatplotlibCharts
from bot import summary_commands
from bot.context import Context
from bot.engine import DialogueEngine
from bot.events import Incoming
from core.actor import Actor
from core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from core.identity import ChatUser
from core.models import ChatPlatform
from core.scope_words import parse_request
from core.services.exports import BOM, COLUMNS, export_analyses
from core.services.flagged import list_flagged, mark_reviewed
from core.services.review import edit_section
from tests.integration.test_summaries import NOW, SECRET, SECRET_2, Scenario, seed
from tests.service_fixtures import seeding

UTF8_BOM = b"\xef\xbb\xbf"


async def _flagged(factory: async_sessionmaker[AsyncSession], actor: Actor) -> list[Any]:
    async with seeding(factory) as uow:
        return await list_flagged(uow=uow, actor=actor)


async def _review(factory: async_sessionmaker[AsyncSession], actor: Actor, ref: str) -> Any:
    async with seeding(factory) as uow:
        return await mark_reviewed(uow=uow, actor=actor, reference=ref)


async def _export(factory: async_sessionmaker[AsyncSession], actor: Actor, argument: str) -> Any:
    scope, period = parse_request(argument, now=NOW)
    async with seeding(factory) as uow:
        return await export_analyses(uow=uow, actor=actor, scope=scope, period=period)


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


async def test_flagged_lists_the_school_newest_flag_first_with_who_and_when(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    world = await seed(session_factory)
    # A later edit moves updated_at; the flag time must still come from the flag's audit row.
    async with seeding(session_factory) as uow:
        await edit_section(uow=uow, actor=world.actors["t1"], analysis_id=world.analyses["A2"],
                           section="weaknesses", text="Reading")  # fmt: skip
    flag_time = await raw.fetchval(
        "SELECT created_at FROM audit_logs WHERE resource_id = $1 "
        "AND metadata->'changedFields' ? 'flagged_for_review'",
        str(world.analyses["A2"]),
    )
    found = await _flagged(session_factory, world.actors["principal_a"])
    assert [f.analysis_id for f in found] == [world.analyses["A2"], world.analyses["A5"]]
    assert (found[0].teacher_name, found[0].teacher_email) == ("דנה לוי", "t1@a.test")
    assert found[0].flagged_at == flag_time
    assert found[1].flagged_at.date().isoformat() == "2026-09-20"  # no audit row: updated_at
    admin = await _flagged(session_factory, world.actors["admin"])
    assert [f.analysis_id for f in admin] == [world.analyses[k] for k in ("A2", "B1", "A5")]
    with pytest.raises(AccessDenied):
        await _flagged(session_factory, world.actors["t1"])


async def test_reviewed_clears_the_flag_with_an_audit_row(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    world = await seed(session_factory)
    principal = world.actors["principal_a"]
    a5 = world.analyses["A5"]
    done = await _review(session_factory, principal, str(a5)[:8].upper())
    assert done.analysis_id == a5
    assert not await raw.fetchval("SELECT flagged_for_review FROM analyses WHERE id = $1", a5)
    row = await raw.fetchrow(
        "SELECT action, user_email, metadata FROM audit_logs WHERE resource_id = $1 "
        "AND metadata ? 'reviewed'",
        str(a5),
    )
    metadata = json.loads(row["metadata"])
    assert (row["action"], row["user_email"]) == ("UPDATE", "principal@a.test")
    assert metadata["changedFields"] == ["flagged_for_review"]
    assert metadata["studentIds"] == [str(world.students["s5"])]
    assert [f.analysis_id for f in await _flagged(session_factory, principal)] == [
        world.analyses["A2"]
    ]
    with pytest.raises(Conflict):
        await _review(session_factory, principal, str(a5))
    with pytest.raises(NotFound):  # school B's analysis is invisible to A's principal
        await _review(session_factory, principal, str(world.analyses["B1"]))
    with pytest.raises(InvalidInput):
        await _review(session_factory, principal, "xyz")
    with pytest.raises(AccessDenied):
        await _review(session_factory, world.actors["t1"], str(world.analyses["A2"]))


async def test_export_is_a_bom_csv_of_the_visible_analyses_with_one_export_audit_row(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    world = await seed(session_factory)
    exported = await _export(session_factory, world.actors["principal_a"], "school this-term")
    assert exported.content.startswith(UTF8_BOM)
    assert SECRET.encode() not in exported.content and SECRET_2.encode() not in exported.content
    rows = _rows(exported.content)
    assert list(rows[0]) == list(COLUMNS)
    expected = ("A1", "A2", "A3", "A4", "A5", "A6", "A8")
    assert sorted(r["analysis_id"] for r in rows) == sorted(
        str(world.analyses[k]) for k in expected
    )
    a2 = next(r for r in rows if r["analysis_id"] == str(world.analyses["A2"]))
    assert a2["strengths"] == "strong  math skills; Kind to peers"  # the teacher's edit
    assert a2["weaknesses"] == "struggles with reading comprehension!"
    assert (a2["confidence"], a2["edited_sections"]) == ("0.90", "strengths;confidence")
    audit = await raw.fetch("SELECT user_email, metadata FROM audit_logs WHERE action = 'EXPORT'")
    assert len(audit) == 1
    metadata = json.loads(audit[0]["metadata"])
    assert metadata["studentIds"] == sorted(
        str(world.students[k]) for k in ("s1", "s2", "s3", "s4", "s5", "s6")
    )
    assert metadata["rows"] == 7


async def test_export_rows_follow_each_role_visibility(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    world = await seed(session_factory)
    # The admin's own school by default; not the deleted student's (A9) or discarded (A10).
    own = await _export(session_factory, world.actors["admin"], "")
    assert own.rows == len(_rows(own.content)) == 8
    district = await _export(session_factory, world.actors["admin"], "district NORTH")
    assert district.rows == len(_rows(district.content)) == 9
    teacher = await _export(session_factory, world.actors["t1"], "school")
    assert teacher.rows == 5  # the students of t1's class; A2's notes are still left out
    assert SECRET.encode() not in teacher.content
    with pytest.raises(AccessDenied):
        await _export(session_factory, world.actors["principal_a"], "school SB")
    assert await raw.fetchval("SELECT count(*) FROM audit_logs WHERE action = 'EXPORT'") == 3


async def test_export_cells_are_csv_and_never_a_formula(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    world = await seed(session_factory)
    nasty = ["=HYPERLINK(1)", "-3", 'says "hi", then\r\nleaves', "@sum", "+1", "\tx", "plain"]
    await raw.execute(
        "UPDATE analyses SET teacher_edits = jsonb_build_object('strengths', $1::jsonb, "
        "'learningStyle', '=cmd', 'confidence', -0.125) WHERE id = $2",
        json.dumps(nasty), world.analyses["A1"],
    )  # fmt: skip
    exported = await _export(session_factory, world.actors["principal_a"], "school this-term")
    a1 = next(r for r in _rows(exported.content) if r["analysis_id"] == str(world.analyses["A1"]))
    joined = "'=HYPERLINK(1); -3; says \"hi\", then\r\nleaves; @sum; +1; \tx; plain"
    assert a1["strengths"] == joined  # one cell: the guard looks at its first character
    assert a1["learning_style"] == "'=cmd" and a1["confidence"] == "'-0.13"  # half away from 0
    assert a1["edited_sections"] == "strengths;learningStyle;confidence"
    # Every line ends in CRLF, the header is the first, times carry the school's offset.
    text = exported.content.decode("utf-8-sig")
    assert text.startswith(",".join(COLUMNS) + "\r\n") and text.endswith("\r\n")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[23]:00", a1["created_at"])


def _engine(factory: async_sessionmaker[AsyncSession], charts: Any) -> DialogueEngine:
    # The summary commands use only the units of work and the chart port.
    return DialogueEngine(session_factory=factory, ai=None, locks=None, seen=None,  # type: ignore[arg-type]
                          charts=charts)  # fmt: skip


def _ctx(actor: Actor, language: str) -> Context:
    event = Incoming(ChatPlatform.TELEGRAM, "bot", "42", "42", received_at=NOW)
    return Context(event, ChatUser(actor, language, "רחל מנהלת"))


async def test_chat_commands_attach_the_chart_and_the_csv(
    session_factory: async_sessionmaker[AsyncSession], raw: asyncpg.Connection
) -> None:
    world: Scenario = await seed(session_factory)
    engine = _engine(session_factory, MatplotlibCharts())
    he = _ctx(world.actors["principal_a"], "he")
    [reply] = await summary_commands.handle(engine, he, "summary", "school this-term")
    counts = "ניתוחים: 7 — הושלמו: 5, בתהליך: 1, בוטלו על ידי המורה: 0, נכשלו: 1. סומנו לבדיקה: 2."
    assert counts in reply.text
    assert "Strong math skills (4)" in reply.text and "Good problem solver" not in reply.text
    [chart] = reply.attachments
    assert chart.mime_type == "image/png" and chart.content.startswith(PNG_SIGNATURE)
    en = _ctx(world.actors["principal_a"], "en")
    [grade] = await summary_commands.handle(engine, en, "summary", "grade 5")
    assert "2026-09-01..2027-08-31" in grade.text and len(grade.attachments) == 1
    [teacher] = await summary_commands.handle(engine, en, "summary", "teacher t2@a.test")
    assert teacher.attachments == ()  # charts come with school, district and grade summaries
    [plain] = await summary_commands.handle(_engine(session_factory, None), en, "summary", "")
    assert plain.attachments == ()

    [bad] = await summary_commands.handle(engine, en, "summary", "school 2026-02-30..2026-03-01")
    assert bad.text.startswith("“2026-02-30..2026-03-01” is not a period")
    [bad] = await summary_commands.handle(engine, en, "summary", "galaxy")
    assert bad.text == "I found no student “galaxy” that you may see."  # a word that may be a name
    [denied] = await summary_commands.handle(engine, en, "summary", "school SB")
    assert denied.text == "You can only see your own school."
    [missing] = await summary_commands.handle(engine, en, "summary", "student Nobody Here")
    assert missing.text == "I found no student “Nobody Here” that you may see."

    [listing] = await summary_commands.handle(engine, en, "flagged", "")
    reference = str(world.analyses["A2"])[:8]
    assert listing.text.splitlines()[1].startswith(f"1. {reference} — ")
    [done] = await summary_commands.handle(engine, en, "reviewed", reference)
    assert done.text.startswith("Done: the analysis of")

    [export] = await summary_commands.handle(engine, he, "export", "analyses grade 6 this-term")
    [csv_file] = export.attachments
    assert csv_file.mime_type == "text/csv" and csv_file.content.startswith(UTF8_BOM)
    assert csv_file.content.decode("utf-8").startswith(BOM + "analysis_id,")
    assert len(_rows(csv_file.content)) == 2  # A5 and A6
    [usage] = await summary_commands.handle(engine, en, "export", "everything")
    assert usage.text.startswith("Write: export analyses")
    assert await raw.fetchval("SELECT count(*) FROM audit_logs WHERE action = 'EXPORT'") == 1


def test_the_terminal_saves_attachments_to_files(tmp_path: Any) -> None:
    from adapters.shell import save_attachments
    from bot.events import Attachment, Reply

    reply = Reply("x", attachments=(Attachment("../../escape.csv", BOM.encode(), "text/csv"),))
    [path] = save_attachments(reply, tmp_path)
    assert path.parent == tmp_path and path.name.startswith("escape-") and path.suffix == ".csv"
    assert path.read_bytes() == UTF8_BOM
