"""Audit logs by month: partitions made ahead, a month archived whole, then dropped if allowed.

`audit_logs` is partitioned by UTC month (migration 0010). The operator creates partitions
ahead (`create_partitions`; serve refuses to start without this month's and next month's). A
month that has ended is archived whole (`archive_month`: one gzip JSON Lines file, manifest,
SHA256SUMS, verified as soon as written). A month may leave the database (DETACH, DROP) only
when it ended more than the retention period ago and its archive still verifies: every file's
SHA-256 as listed, and the month's file holding as many rows as the partition does now.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from core.actor import Actor
from core.archive_files import (
    CHECKSUMS,
    MANIFEST,
    TABLE,
    ArchiveManifest,
    copy_rows,
    sha256_of,
)
from core.audit import record, service
from core.audit_partitions import add_months, month_start, parse_month, partition_name, utc_now
from core.errors import Conflict, InvalidInput, NotFound
from core.models import AuditAction
from core.policy import require_admin
from core.uow import UnitOfWork

AUDIT_YEARS = 7
MONTHS_AHEAD = 3


@service
async def create_partitions(
    *, uow: UnitOfWork, actor: Actor, ahead: int = MONTHS_AHEAD, start: str | date | None = None
) -> list[str]:
    """Create the partitions from `start` (default this month) to `ahead` months on; names."""
    require_admin(actor, resource="AuditLog")
    if not 0 <= ahead <= 24:
        raise InvalidInput("ahead", "between 0 and 24 months", rule="ahead_range")
    this = (await utc_now(uow.session)).date().replace(day=1)
    month = parse_month(start, "from") if start is not None else this
    last = add_months(this, ahead)
    names = []
    while month <= last:
        names.append(
            await uow.session.scalar(text("SELECT public.ge_audit_partition(:m)"), {"m": month})
        )
        month = add_months(month, 1)
    record(uow, actor, AuditAction.CREATE, "AuditLog", operation="partitions", partitions=names)
    await uow.commit()
    return [str(name) for name in names]


def verify_archive(directory: Path) -> dict[str, Any]:
    """The archive's manifest, once every file's SHA-256 and row count match it; else Conflict."""
    try:
        manifest: dict[str, Any] = json.loads((directory / MANIFEST).read_text("utf-8"))
        sums = (directory / CHECKSUMS).read_text("ascii").split()
    except (OSError, ValueError) as exc:
        raise Conflict(f"{directory} holds no readable archive: {exc}") from None
    listed = dict(zip(sums[1::2], sums[0::2], strict=True))
    for entry in manifest.get("files", []):
        path = directory / entry["name"]
        if not path.exists():
            raise Conflict(f"{entry['name']}: missing from {directory}")
        digest = sha256_of(path)
        if digest != entry["sha256"]:
            raise Conflict(f"{entry['name']}: checksum does not match the manifest")
        if digest != listed.get(entry["name"]):
            raise Conflict(f"{entry['name']}: checksum does not match {CHECKSUMS}")
        with gzip.open(path, "rb") as f:
            lines = sum(1 for _ in f)
        if lines != entry["rows"]:
            raise Conflict(f"{entry['name']}: {lines} rows, the manifest says {entry['rows']}")
    return manifest


@service
async def archive_month(
    *, uow: UnitOfWork, actor: Actor, month: str | date, directory: Path
) -> ArchiveManifest:
    """Copy one whole, ended UTC month of audit rows into `directory`, verified (admin only)."""
    require_admin(actor, resource="AuditLog")
    first = parse_month(month)
    end = add_months(first, 1)
    now = await utc_now(uow.session)
    if month_start(end) > now:
        raise InvalidInput(
            "month", "has not ended yet (UTC); a month is archived whole", rule="month_not_ended"
        )
    where = [TABLE.c.created_at >= month_start(first), TABLE.c.created_at < month_start(end)]
    copied = await copy_rows(
        uow.session, actor.email, directory, where, now,
        month=f"{first:%Y-%m}", before=end.isoformat(),
    )  # fmt: skip
    directory, files, rows = copied.directory, copied.files, copied.rows
    await asyncio.to_thread(verify_archive, directory)
    record(uow, actor, AuditAction.EXPORT, "AuditLog", operation="archive-month",
           month=f"{first:%Y-%m}", directory=str(directory), rows=rows,
           manifestSha256=copied.manifest_sha)  # fmt: skip
    await uow.commit()
    return ArchiveManifest(end, directory, rows, files)


@service
async def drop_month(*, uow: UnitOfWork, actor: Actor, month: str | date, directory: Path) -> int:
    """Detach and drop a month past retention whose archive verifies; the rows it held."""
    require_admin(actor, resource="AuditLog")
    first = parse_month(month)
    now = await utc_now(uow.session)
    kept_from = now.date().replace(year=now.year - AUDIT_YEARS, day=1)
    if add_months(first, 1) > kept_from:
        raise Conflict(
            f"{first:%Y-%m} is inside the {AUDIT_YEARS}-year retention period: "
            f"only months before {kept_from:%Y-%m} may be dropped"
        )
    name = partition_name(first)
    if await uow.session.scalar(text("SELECT to_regclass(:n)"), {"n": f"public.{name}"}) is None:
        raise NotFound("AuditLog", f"{first:%Y-%m}")
    manifest = await asyncio.to_thread(verify_archive, await asyncio.to_thread(directory.resolve))
    archived = {f["name"]: f["rows"] for f in manifest.get("files", [])}
    # Lock the partition first: no row may arrive between the count and the drop.
    await uow.session.execute(text(f"LOCK TABLE {name} IN SHARE MODE"))
    rows = int(await uow.session.scalar(text(f"SELECT count(*) FROM {name}")) or 0)
    expected = archived.get(f"audit_logs-{first:%Y-%m}.jsonl.gz", 0 if rows == 0 else None)
    if expected != rows:
        raise Conflict(
            f"the archive in {directory} does not hold {first:%Y-%m}'s {rows} rows "
            f"(it lists {expected}); archive the month first"
        )
    await uow.session.execute(text(f"ALTER TABLE audit_logs DETACH PARTITION {name}"))
    await uow.session.execute(text(f"DROP TABLE {name}"))
    record(uow, actor, AuditAction.DELETE, "AuditLog", operation="drop-month",
           month=f"{first:%Y-%m}", rows=rows, directory=str(directory),
           files=sorted(archived))  # fmt: skip
    await uow.commit()
    return rows
