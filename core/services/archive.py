"""Cold-storage copies of the audit trail: gzip JSON Lines per month plus a SHA-256 manifest.

Rows created before a UTC day are copied, oldest first, into `audit_logs-YYYY-MM.jsonl.gz`
(one JSON object per row, keys as the table's columns); `manifest.json` lists each file's rows,
time range, size and SHA-256, and `SHA256SUMS` repeats the checksums for `sha256sum -c`.
The rows stay in the table (it is append-only). Gzip headers carry no time or name, so the
same rows always give the same bytes and checksums. A directory that already holds a
manifest is refused, so a copy in cold storage is never overwritten.
"""

from __future__ import annotations

from datetime import UTC, date
from pathlib import Path

from sqlalchemy import func, select

from core.actor import Actor
from core.archive_files import TABLE, ArchiveManifest, copy_rows
from core.audit import record, service
from core.errors import InvalidInput
from core.models import AuditAction
from core.policy import require_admin
from core.services.audit_queries import day_start, parse_day
from core.uow import UnitOfWork


@service
async def archive_audit_logs(
    *, uow: UnitOfWork, actor: Actor, before: str | date, directory: Path
) -> ArchiveManifest:
    """Copy audit rows created before the UTC day `before` into `directory` (admin only)."""
    require_admin(actor, resource="AuditLog")
    day = parse_day(before, "before")
    now = await uow.session.scalar(select(func.now()))
    assert now is not None
    if day > now.astimezone(UTC).date():
        # A day still running may gain rows after the copy; the archive would be incomplete.
        raise InvalidInput("before", "must be today or earlier (UTC)", rule="not_after_today")
    where = [TABLE.c.created_at < day_start(day)]
    copied = await copy_rows(
        uow.session, actor.email, directory, where, now, before=day.isoformat()
    )
    record(
        uow,
        actor,
        AuditAction.EXPORT,
        "AuditLog",
        operation="archive",
        before=day.isoformat(),
        directory=str(copied.directory),
        rows=copied.rows,
        files=[f.name for f in copied.files],
        manifestSha256=copied.manifest_sha,
    )
    await uow.commit()
    return ArchiveManifest(day, copied.directory, copied.rows, copied.files)
