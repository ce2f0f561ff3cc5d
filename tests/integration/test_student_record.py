"""A student's full record: every part is there, and the disclosure log is the audit trail."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.actor import Actor, Channel, actor_for
from core.demo import seed_demo
from core.errors import AccessDenied, StudentNotFound
from core.models import ConversationRole, School, User
from core.services import analyses, lifecycle, records, review, students, turns
from tests.service_fixtures import seeding

Factory = async_sessionmaker[AsyncSession]
RESULT = {
    "strengths": ["Reads fluently"],
    "weaknesses": ["Long division"],
    "recommendations": ["Short daily practice"],
    "learningStyle": "Visual",
    "confidence": 0.7,
}
NAMING = (
    "SELECT id FROM audit_logs WHERE resource_id = $1 OR metadata->'studentIds' ? $1 "
    "ORDER BY created_at, id"
)


async def actors(factory: Factory) -> dict[str, Actor]:
    """Demo staff as actors; the teachers write from Telegram, the others from the shell."""
    found = {}
    async with seeding(factory) as uow:
        await seed_demo(uow=uow)
        for user, school in await uow.session.execute(select(User, School).join(School)):
            platform = "TELEGRAM" if user.role == "TEACHER" else "SHELL"
            found[user.email.split("@")[0]] = actor_for(user, school, Channel(platform, "42"))
    return found


async def call(factory: Factory, fn: Any, actor: Actor, **kwargs: Any) -> Any:
    """One service in its own unit of work."""
    async with seeding(factory) as uow:
        return await fn(uow=uow, actor=actor, **kwargs)


@pytest.fixture
async def story(session_factory: Factory, raw: asyncpg.Connection) -> dict[str, Any]:
    """S1000's analysis (turns, edit, flag, note), reads of S1000, a refused look, and more."""
    who = await actors(session_factory)
    sid = await raw.fetchval("SELECT id FROM students WHERE student_id = 'S1000'")
    other = await raw.fetchval("SELECT id FROM students WHERE student_id = 'S1001'")
    await raw.execute("UPDATE students SET notes = 'needs glasses' WHERE id = $1", sid)
    t1 = who["teacher1"]
    snap = await call(session_factory, analyses.start_analysis, t1, student_id=sid,
                      system_prompt="You are a careful assistant.")  # fmt: skip
    aid = snap.analysis_id
    for role, content in ((ConversationRole.ASSISTANT, "How does he read?"),
                          (ConversationRole.USER, "Fluently, but maths is hard.")):  # fmt: skip
        await call(session_factory, turns.append_turn, t1, analysis_id=aid, role=role,
                   content=content, tokens=10)  # fmt: skip
    await call(session_factory, turns.store_result, t1, analysis_id=aid, result=RESULT,
               content=json.dumps(RESULT), tokens=50, billed_tokens=300, cost=0.01)  # fmt: skip
    await call(session_factory, review.edit_section, t1, analysis_id=aid, section="strengths",
               text="Reads fluently\nHelps others")  # fmt: skip
    await call(session_factory, review.flag_for_review, t1, analysis_id=aid)
    await call(session_factory, review.add_private_note, t1, analysis_id=aid, text="Call home")
    await call(session_factory, analyses.start_analysis, t1, student_id=other, system_prompt="x")
    await call(session_factory, students.get_student, who["principal"], student_id=sid)
    await call(session_factory, students.list_my_students, who["principal"])
    with pytest.raises(StudentNotFound):
        await call(session_factory, students.get_student, who["teacher2"], student_id=sid)
    return {"who": who, "student": sid, "other": other, "analysis": aid}


async def test_the_record_holds_every_part(
    session_factory: Factory, raw: asyncpg.Connection, story: dict[str, Any]
) -> None:
    sid = story["student"]
    record = await call(
        session_factory, records.export_student_record, story["who"]["admin"], student=str(sid)
    )
    doc = json.loads(record.json_bytes())
    assert doc["format"] == "growth-engine/student-record@1"
    assert doc["student"]["id"] == str(sid) and doc["student"]["studentId"] == "S1000"
    assert doc["student"]["notes"] == "needs glasses"
    assert {"firstName", "lastName", "gradeLevel", "dateOfBirth", "deletedAt"} <= set(
        doc["student"]
    )
    assert doc["school"]["code"] == "DEMO-01"
    [enrollment] = doc["enrollments"]
    assert enrollment["teacher"]["email"] == "teacher1@demo.school"
    assert enrollment["class"]["academicYear"] == "2026-2027"
    [analysis] = doc["analyses"]  # the other student's analysis is not in this record
    assert analysis["id"] == str(story["analysis"])
    assert [t["role"] for t in analysis["conversation"]] == [
        "SYSTEM", "ASSISTANT", "USER", "ASSISTANT",
    ]  # fmt: skip
    assert analysis["conversation"][2]["content"] == "Fluently, but maths is hard."
    assert analysis["results"] == RESULT
    assert analysis["teacherEdits"] == {"strengths": ["Reads fluently", "Helps others"]}
    assert analysis["flaggedForReview"] is True
    assert analysis["status"] == "IN_PROGRESS" and analysis["failureReason"] is None
    assert "Call home" in analysis["privateNotes"]
    assert analysis["teacher"]["email"] == "teacher1@demo.school"
    changes = [e["changedFields"] for e in analysis["history"] if e["action"] == "UPDATE"]
    assert ["teacher_edits.strengths"] in changes and ["flagged_for_review"] in changes
    assert ["private_notes"] in changes
    assert (record.analyses, record.disclosures) == (1, len(doc["disclosureLog"]))


async def test_the_disclosure_log_is_exactly_the_audit_rows_naming_the_student(
    session_factory: Factory, raw: asyncpg.Connection, story: dict[str, Any]
) -> None:
    sid = story["student"]
    naming = [str(r["id"]) for r in await raw.fetch(NAMING, str(sid))]
    record = await call(
        session_factory, records.export_student_record, story["who"]["admin"], student=str(sid)
    )
    log = record.document["disclosureLog"]
    assert [e["id"] for e in log] == naming
    by_id = {str(r["id"]): r for r in await raw.fetch("SELECT * FROM audit_logs")}
    for entry in log:
        row = by_id[entry["id"]]
        assert (entry["userEmail"], entry["action"], entry["resource"]) == (
            row["user_email"], row["action"], row["resource"],
        )  # fmt: skip
        assert entry["at"] == row["created_at"].isoformat()
        assert entry["channel"] == json.loads(row["metadata"])["channel"]
    who = {(e["userEmail"], e["action"], e["resource"], e["outcome"]) for e in log}
    assert ("system", "CREATE", "Demo", "ok") in who  # the seed listed the student
    assert ("principal@demo.school", "READ", "Student", "ok") in who
    assert ("teacher2@demo.school", "READ", "Student", "failed") in who
    assert ("teacher1@demo.school", "UPDATE", "Analysis", "ok") in who
    assert {e["channel"]["platform"] for e in log if e["userEmail"].startswith("teacher")} == {
        "TELEGRAM"
    }
    # Other children stay out: the id lists of list views are not copied into the record.
    assert str(story["other"]) not in record.json_bytes().decode()
    # Making the record is itself a disclosure: EXPORT, naming the student, after the log.
    export = await raw.fetchrow(
        "SELECT * FROM audit_logs ORDER BY created_at DESC, id DESC LIMIT 1"
    )
    assert (export["action"], export["resource"], export["resource_id"]) == (
        "EXPORT", "Student", str(sid),
    )  # fmt: skip
    assert json.loads(export["metadata"])["studentIds"] == [str(sid)]
    assert [str(r["id"]) for r in await raw.fetch(NAMING, str(sid))] == [*naming, str(export["id"])]


async def test_the_csv_is_the_disclosure_log_for_people(
    session_factory: Factory, story: dict[str, Any]
) -> None:
    record = await call(
        session_factory, records.export_student_record, story["who"]["admin"], student="S1000"
    )
    assert record.csv_bytes().startswith(b"\xef\xbb\xbf")  # a BOM, so Excel shows the Hebrew
    rows = list(csv.DictReader(io.StringIO(record.csv_bytes().decode("utf-8-sig"))))
    log = record.document["disclosureLog"]
    assert [r["audit_id"] for r in rows] == [e["id"] for e in log]
    assert [(r["time_utc"], r["user_email"], r["action"]) for r in rows] == [
        (e["at"], e["userEmail"], e["action"]) for e in log
    ]
    edit = next(r for r in rows if r["changed_fields"] == "teacher_edits.strengths")
    assert (edit["channel"], edit["resource"], edit["outcome"]) == ("TELEGRAM", "Analysis", "ok")


async def test_only_admins_export_and_deleted_students_are_included(
    session_factory: Factory, story: dict[str, Any]
) -> None:
    who, sid = story["who"], story["student"]
    with pytest.raises(AccessDenied):
        await call(
            session_factory, records.export_student_record, who["principal"], student="S1000"
        )
    await call(session_factory, lifecycle.soft_delete, who["admin"], kind="student", id=sid)
    record = await call(
        session_factory, records.export_student_record, who["admin"], student=str(sid)
    )
    assert record.document["student"]["deletedAt"] is not None
    assert record.document["disclosureLog"][-1]["action"] == "DELETE"


async def test_the_student_lookup_uses_the_gin_index(raw: asyncpg.Connection) -> None:
    async with raw.transaction():
        await raw.execute("SET LOCAL enable_seqscan = off")
        plan = await raw.fetch(
            "EXPLAIN SELECT * FROM audit_logs WHERE resource_id = $1 "
            "OR (audit_logs.metadata -> 'studentIds') ? $1",
            str(uuid.uuid4()),
        )
    text = "\n".join(r[0] for r in plan)
    # audit_logs is partitioned by month: each partition's copy of the GIN index is named
    # after the partition, so the plan shows a bitmap scan on studentIds, never a Seq Scan.
    assert "Seq Scan" not in text
    assert "Bitmap Index Scan" in text and "studentIds" in text


async def test_the_disclosure_log_pages_newest_first_without_gaps_or_repeats(
    session_factory: Factory, raw: asyncpg.Connection, story: dict[str, Any]
) -> None:
    sid, admin = story["student"], story["who"]["admin"]
    naming = [str(r["id"]) for r in await raw.fetch(NAMING, str(sid))][::-1]
    seen: list[str] = []
    before = None
    while True:  # each read adds a newer row naming the student; the pages do not shift
        page = await call(
            session_factory, records.student_disclosures, admin, student="S1000",
            before=before, limit=3,
        )  # fmt: skip
        assert page.student.id == sid
        seen += [str(e.id) for e in page.entries.items]
        if (before := page.entries.next_before) is None:
            break
    assert seen == naming
