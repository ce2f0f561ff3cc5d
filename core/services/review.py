"""The teacher's review of a generated analysis: save, edit a section, flag, note, discard."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func

from core.actor import Actor
from core.analysis_records import audit_analysis_change, own_analysis
from core.audit import record, service
from core.errors import AnalysisClosed, Conflict, InvalidInput
from core.models import AnalysisStatus, AuditAction
from core.models.analysis import NOTES_FOR_ACTOR
from core.sections import SECTIONS
from core.uow import UnitOfWork


def _require_result(results: Any) -> None:
    if results is None:
        raise Conflict("the analysis has no result yet")


@service
async def save_analysis(*, uow: UnitOfWork, actor: Actor, analysis_id: uuid.UUID) -> None:
    """Mark the reviewed analysis COMPLETED."""
    analysis = await own_analysis(uow, actor, analysis_id, lock=True)
    _require_result(analysis.results)
    if analysis.status is not AnalysisStatus.IN_PROGRESS:
        raise AnalysisClosed(analysis.status)
    analysis.status = AnalysisStatus.COMPLETED
    audit_analysis_change(uow, actor, analysis, ["status"])
    await uow.commit()


def parse_section_value(section: str, text: str) -> Any:
    """A list section from lines (or ';'), a float for confidence, text for learningStyle."""
    if section not in SECTIONS:
        raise InvalidInput("section", f"one of {', '.join(SECTIONS)}")
    text = text.strip()
    if not text:
        raise InvalidInput(section, "empty")
    if section == "confidence":
        try:
            value = float(text.replace("%", "")) / (100 if "%" in text else 1)
        except ValueError:
            raise InvalidInput(section, "a number between 0 and 1 (or a percentage)") from None
        if not 0 <= value <= 1:
            raise InvalidInput(section, "a number between 0 and 1 (or a percentage)")
        return value
    if section == "learningStyle":
        return text
    parts = [p.strip(" -•*\t") for p in text.replace(";", "\n").splitlines()]
    return [p for p in parts if p]


@service
async def edit_section(
    *, uow: UnitOfWork, actor: Actor, analysis_id: uuid.UUID, section: str, text: str
) -> dict[str, Any]:
    """Keep the teacher's version of one section in `teacher_edits`; `results` stay as written."""
    analysis = await own_analysis(uow, actor, analysis_id, lock=True)
    _require_result(analysis.results)
    value = parse_section_value(section, text)
    edits = dict(analysis.teacher_edits or {})
    edits[section] = value
    analysis.teacher_edits = edits
    audit_analysis_change(uow, actor, analysis, [f"teacher_edits.{section}"])
    await uow.commit()
    return edits


@service
async def flag_for_review(
    *, uow: UnitOfWork, actor: Actor, analysis_id: uuid.UUID, flagged: bool = True
) -> None:
    """Flag (or unflag) the analysis for the principal's follow-up."""
    analysis = await own_analysis(uow, actor, analysis_id, lock=True)
    analysis.flagged_for_review = flagged
    audit_analysis_change(uow, actor, analysis, ["flagged_for_review"])
    await uow.commit()


@service
async def add_private_note(
    *,
    uow: UnitOfWork,
    actor: Actor,
    analysis_id: uuid.UUID,
    text: str,
    now: datetime | None = None,
) -> None:
    """Append a dated private note (visible to the author only)."""
    if not text.strip():
        raise InvalidInput("note", "empty")
    analysis = await own_analysis(uow, actor, analysis_id, lock=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M")
    line = f"[{stamp}] {text.strip()}"
    # Appended in the UPDATE itself: the application role cannot read the column back.
    analysis.private_notes = func.concat_ws("\n", NOTES_FOR_ACTOR, line)
    audit_analysis_change(uow, actor, analysis, ["private_notes"])
    await uow.commit()


@service
async def discard_analysis(*, uow: UnitOfWork, actor: Actor, analysis_id: uuid.UUID) -> None:
    """The teacher throws the draft away: soft-deleted, kept for the record, never shown again."""
    analysis = await own_analysis(uow, actor, analysis_id, lock=True)
    analysis.deleted_at = datetime.now(UTC)
    changed = ["deleted_at"]
    if analysis.status is AnalysisStatus.IN_PROGRESS:
        analysis.status = AnalysisStatus.FAILED
        analysis.failure_reason = "discarded"
        changed += ["status", "failure_reason"]
    record(
        uow,
        actor,
        AuditAction.DELETE,
        "Analysis",
        analysis.id,
        student_ids=[analysis.student_id],
        changed_fields=changed,
        reason="discarded",
    )
    await uow.commit()
