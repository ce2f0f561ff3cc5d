"""Audit archive files: gzip JSON Lines per UTC month, manifest.json and SHA256SUMS.

Gzip headers carry no time or name, so the same rows always give the same bytes and checksums.
Used by `core.services.archive` (rows before a day) and `core.services.audit_months` (a month).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict
from core.models import AuditLog

FORMAT = "growth-engine/audit-archive@1"
MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
BATCH = 1000
TABLE = AuditLog.__table__


@dataclass(frozen=True)
class ArchivedFile:
    """One compressed file of the archive."""

    name: str
    rows: int
    sha256: str
    size: int
    first_at: str
    last_at: str


@dataclass(frozen=True)
class ArchiveManifest:
    """What was archived where: rows created before `before` (a UTC day)."""

    before: date
    directory: Path
    rows: int
    files: list[ArchivedFile]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _line(row: Any) -> bytes:
    data = {key: _jsonable(value) for key, value in row._mapping.items()}
    data["action"] = str(data["action"])
    return json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n"


def sha256_of(path: Path) -> str:
    """The file's SHA-256, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _MonthFile:
    """One month's gzip file, written under a temporary name until closed."""

    def __init__(self, directory: Path, month: str) -> None:
        self.month = month
        self.name = f"audit_logs-{month}.jsonl.gz"
        self.path = directory / self.name
        self.partial = directory / f"{self.name}.partial"
        self.raw: BinaryIO = self.partial.open("wb")
        self.gzip = gzip.GzipFile(filename="", mode="wb", fileobj=self.raw, mtime=0)
        self.rows = 0
        self.first_at = self.last_at = ""

    def write(self, lines: list[bytes]) -> None:
        """Append encoded lines."""
        self.gzip.write(b"".join(lines))

    def close(self) -> ArchivedFile:
        """Finish the file, give it its final name, and describe it."""
        self.gzip.close()
        self.raw.close()
        self.partial.replace(self.path)
        return ArchivedFile(
            self.name,
            self.rows,
            sha256_of(self.path),
            self.path.stat().st_size,
            self.first_at,
            self.last_at,
        )


async def write_months(directory: Path, stream: Any) -> list[ArchivedFile]:
    """Write a stream of rows (oldest first) into one gzip file per UTC month; describe them."""
    files: list[ArchivedFile] = []
    current: _MonthFile | None = None
    async for batch in stream.partitions(BATCH):
        pending: list[bytes] = []
        for row in batch:
            created = row.created_at.astimezone(UTC)
            at, month = created.isoformat(), created.strftime("%Y-%m")
            if current is None or current.month != month:
                if current is not None:
                    await asyncio.to_thread(current.write, pending)
                    files.append(await asyncio.to_thread(current.close))
                    pending = []
                current = await asyncio.to_thread(_MonthFile, directory, month)
                current.first_at = at
            current.rows += 1
            current.last_at = at
            pending.append(_line(row))
        if current is not None:
            await asyncio.to_thread(current.write, pending)
    if current is not None:
        files.append(await asyncio.to_thread(current.close))
    return files


def write_manifest(directory: Path, manifest: dict[str, Any], files: list[ArchivedFile]) -> str:
    """Write manifest.json and SHA256SUMS; the manifest's own SHA-256."""
    body = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    (directory / MANIFEST).write_bytes(body)
    sums = "".join(f"{f.sha256}  {f.name}\n" for f in files)
    (directory / CHECKSUMS).write_text(sums, encoding="ascii")
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class Copied:
    """Where an archive was written, its files and rows, and the manifest's SHA-256."""

    directory: Path
    files: list[ArchivedFile]
    rows: int
    manifest_sha: str


async def copy_rows(
    session: AsyncSession,
    created_by: str,
    directory: Path,
    where: list[ColumnElement[bool]],
    now: datetime,
    **labels: str,
) -> Copied:
    """Audit rows matching `where`, oldest first, into a new archive in `directory`.

    `labels` go into the manifest after its format and table (what the archive covers). A
    directory already holding a manifest is refused: a copy is never overwritten.
    """
    directory = await asyncio.to_thread(directory.resolve)
    if await asyncio.to_thread((directory / MANIFEST).exists):
        raise Conflict(f"{directory} already holds an archive ({MANIFEST})")
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    stmt = (
        select(TABLE)
        .where(*where)
        .order_by(TABLE.c.created_at, TABLE.c.id)
        .execution_options(yield_per=BATCH)
    )
    files = await write_months(directory, await session.stream(stmt))
    rows = sum(f.rows for f in files)
    manifest = {
        "format": FORMAT,
        "table": TABLE.name,
        **labels,
        "createdAt": now.isoformat(),
        "createdBy": created_by,
        "rows": rows,
        "files": [vars(f) for f in files],
    }
    manifest_sha = await asyncio.to_thread(write_manifest, directory, manifest, files)
    return Copied(directory, files, rows, manifest_sha)
