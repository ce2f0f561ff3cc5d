"""Audit archive: the files decompress to exactly the selected rows; the manifest's checksums."""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import json
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.cli_admin import add_audit_parser, run_audit
from core.actor import system_actor
from core.errors import AccessDenied, Conflict, InvalidInput
from core.models import UserRole
from core.services.archive import archive_audit_logs
from tests.service_fixtures import seeding

Factory = async_sessionmaker[AsyncSession]
BEFORE = date(2024, 3, 1)
# created_at of the seeded rows; the cut is midnight UTC at the start of 1 March 2024.
TIMES = [
    "2024-01-15T08:00:00+00:00",
    "2024-01-31T23:59:59.999999+00:00",
    "2024-02-01T00:00:00+00:00",
    "2024-02-29T23:30:00-02:00",  # 1 March 01:30 UTC: after the cut
    "2024-03-01T01:00:00+02:00",  # 29 February 23:00 UTC: before it
    "2024-03-01T00:00:00+00:00",  # exactly the cut: not archived
    "2025-06-01T12:00:00+00:00",
]
SELECTED = (
    "SELECT * FROM audit_logs WHERE created_at < '2024-03-01T00:00:00Z' ORDER BY created_at, id"
)


@pytest.fixture
async def seeded(raw: asyncpg.Connection) -> None:
    """Audit rows at known times, with Hebrew, nested metadata and nulls."""
    for n, at in enumerate(TIMES):
        await raw.execute(
            "INSERT INTO audit_logs (user_id, user_email, user_role, action, resource, "
            "resource_id, ip_address, metadata, created_at) VALUES "
            "($1, $2, 'TEACHER', 'READ', 'Student', $3, NULL, $4, $5)",
            None if n % 2 else f"user-{n}", f"t{n}@demo.school", f"s-{n}",
            json.dumps({"channel": {"platform": "SLACK"}, "studentIds": [f"s-{n}"],
                        "note": "קריאה"}),
            datetime.fromisoformat(at),
        )  # fmt: skip


async def archive(factory: Factory, directory: Path, before: Any = BEFORE) -> Any:
    """Run the archive as the system actor."""
    async with seeding(factory) as uow:
        return await archive_audit_logs(
            uow=uow, actor=system_actor(), before=before, directory=directory
        )


def read_archive(directory: Path) -> list[dict[str, Any]]:
    """Every line of every data file, in file order."""
    lines = []
    for path in sorted(directory.glob("*.jsonl.gz")):
        lines += [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]
    return lines


def as_archived(row: asyncpg.Record) -> dict[str, Any]:
    """A table row as the archive should hold it."""
    data = dict(row)
    data["id"] = str(data["id"])
    data["created_at"] = data["created_at"].isoformat()
    data["metadata"] = json.loads(data["metadata"]) if data["metadata"] else None
    return data


async def test_files_hold_exactly_the_selected_rows_and_checksums_match(
    session_factory: Factory, raw: asyncpg.Connection, seeded: None, tmp_path: Path
) -> None:
    directory = tmp_path / "cold" / "2024-03"
    before_count = await raw.fetchval("SELECT count(*) FROM audit_logs")
    manifest = await archive(session_factory, directory)
    expected = [as_archived(r) for r in await raw.fetch(SELECTED)]
    assert len(expected) == 4
    assert read_archive(directory) == expected
    assert [f.name for f in manifest.files] == [
        "audit_logs-2024-01.jsonl.gz",
        "audit_logs-2024-02.jsonl.gz",
    ]
    stored = json.loads((directory / "manifest.json").read_text())
    assert (stored["before"], stored["rows"], stored["table"]) == ("2024-03-01", 4, "audit_logs")
    for entry in stored["files"]:
        data = (directory / entry["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert len(data) == entry["size"]
        assert len(gzip.decompress(data).splitlines()) == entry["rows"]
    assert [f["rows"] for f in stored["files"]] == [2, 2]
    sums = (directory / "SHA256SUMS").read_text().splitlines()
    assert sums == [f"{f['sha256']}  {f['name']}" for f in stored["files"]]
    assert not list(directory.glob("*.partial"))
    # The rows stay where they were, and the copy is audited as an EXPORT.
    assert await raw.fetchval("SELECT count(*) FROM audit_logs") == before_count + 1
    export = await raw.fetchrow("SELECT * FROM audit_logs ORDER BY created_at DESC LIMIT 1")
    assert (export["action"], export["resource"]) == ("EXPORT", "AuditLog")
    meta = json.loads(export["metadata"])
    assert (meta["rows"], meta["before"]) == (4, "2024-03-01")
    assert (
        meta["manifestSha256"]
        == hashlib.sha256((directory / "manifest.json").read_bytes()).hexdigest()
    )


async def test_the_same_rows_give_the_same_bytes(
    session_factory: Factory, seeded: None, tmp_path: Path
) -> None:
    first = await archive(session_factory, tmp_path / "a")
    second = await archive(session_factory, tmp_path / "b")
    assert [f.sha256 for f in first.files] == [f.sha256 for f in second.files]


async def test_refusals(session_factory: Factory, seeded: None, tmp_path: Path) -> None:
    await archive(session_factory, tmp_path)
    with pytest.raises(Conflict):  # never overwrite a copy already in cold storage
        await archive(session_factory, tmp_path)
    with pytest.raises(InvalidInput):  # a day not over yet could still gain rows
        await archive(session_factory, tmp_path / "future", before="2999-01-01")
    with pytest.raises(InvalidInput):
        await archive(session_factory, tmp_path / "bad", before="March")
    async with seeding(session_factory) as uow:
        teacher = replace(system_actor(), role=UserRole.TEACHER)
        with pytest.raises(AccessDenied):
            await archive_audit_logs(
                uow=uow, actor=teacher, before=BEFORE, directory=tmp_path / "t"
            )


async def test_the_cli_archive(
    database_url: str, seeded: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser()
    add_audit_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["audit", "archive", "--before", "2024-03-01", "--to", str(tmp_path / "out")]
    )
    assert await asyncio.to_thread(run_audit, args, database_url) == 0
    assert "Archived 4 audit rows created before 2024-03-01" in capsys.readouterr().out
    assert len(read_archive(tmp_path / "out")) == 4
    assert await asyncio.to_thread(run_audit, args, database_url) == 1
    assert "already holds an archive" in capsys.readouterr().err
