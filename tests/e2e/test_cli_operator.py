"""The console script as an operator meets it: unreachable servers, missing files, where files go.

Each case runs `python -m adapters.cli` as a subprocess and reads its exit code and output:
a failure is one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import socket
from pathlib import Path

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import t
from core.demo import seed_demo
from core.uow import UnitOfWork
from tests.e2e.test_terminal import growth_engine

EX_UNAVAILABLE = 69


def closed_port() -> int:
    """A local port nobody listens on (bound once to pick it, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def one_line(err: str) -> str:
    """The only line of stderr (fails when there are more, e.g. a traceback)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


async def test_a_database_url_pointing_at_nothing_is_one_line_and_exit_69(
    tmp_path: Path, redis_url: str
) -> None:
    port = closed_port()
    code, out, err = await growth_engine(
        tmp_path, "seed-demo", stdin="",
        DATABASE_URL=f"postgresql://ge:s3cret@127.0.0.1:{port}/growth_engine",
        REDIS_URL=redis_url, DATA_DIR=str(tmp_path / "data"),
    )  # fmt: skip
    assert code == EX_UNAVAILABLE
    assert one_line(err).startswith(
        f"Cannot reach the database at postgresql://ge:***@127.0.0.1:{port}/growth_engine "
        "(DATABASE_URL): "
    )
    assert "s3cret" not in out + err


async def test_a_redis_url_pointing_at_nothing_is_one_line_and_exit_69(
    tmp_path: Path, database_url: str
) -> None:
    url = f"redis://127.0.0.1:{closed_port()}/0"
    code, _out, err = await growth_engine(
        tmp_path, "chat", "--as", "teacher1@demo.school", stdin="help\n",
        DATABASE_URL=database_url, REDIS_URL=url, DATA_DIR=str(tmp_path / "data"),
    )  # fmt: skip
    assert code == EX_UNAVAILABLE
    assert one_line(err).startswith(f"Cannot reach Redis at {url} (REDIS_URL): ")


async def test_roster_import_without_a_file_says_how_to_attach_it_and_exits_2(
    tmp_path: Path, database_url: str, session_factory: async_sessionmaker[AsyncSession],
    raw: asyncpg.Connection,
) -> None:  # fmt: skip
    async with UnitOfWork(session_factory) as uow:
        await seed_demo(uow=uow)
    students = await raw.fetchval("SELECT count(*) FROM students")
    code, out, err = await growth_engine(
        tmp_path, "admin", "roster", "import", "DEMO-01", stdin="",
        DATABASE_URL=database_url, DATA_DIR=str(tmp_path / "data"),
    )  # fmt: skip
    assert code == 2
    assert one_line(err) == (
        "growth-engine admin roster import [SCHOOL] [KIND] needs the CSV file: add --attach FILE."
    )
    assert out == "" and await raw.fetchval("SELECT count(*) FROM students") == students


async def test_admin_record_writes_under_data_dir_not_the_working_directory(
    tmp_path: Path, database_url: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with UnitOfWork(session_factory) as uow:
        await seed_demo(uow=uow)
    data_dir = tmp_path / "data"
    (data_dir / "records").mkdir(parents=True)
    earlier = data_dir / "records" / "earlier.json"
    earlier.write_text("kept")
    code, out, err = await growth_engine(
        tmp_path, "admin", "record", "Liam", "O'Brien", stdin="",
        DATABASE_URL=database_url, DATA_DIR=str(data_dir),
    )  # fmt: skip
    assert code == 0, err
    said = [Path(line.removeprefix("Wrote ")) for line in out.splitlines() if "Wrote" in line]
    written = sorted(set((data_dir / "records").iterdir()) - {earlier})
    assert sorted(said) == written and len(written) == 2  # the JSON and the CSV
    assert all(p.name.startswith("student-record-") for p in written)
    assert earlier.read_text() == "kept"
    # Nothing in the working directory (the process has ended: blocking calls are fine here).
    assert not any(p.is_file() for p in tmp_path.iterdir())  # noqa: ASYNC240


async def test_two_teachers_exports_land_in_their_own_folders_under_data_dir(
    tmp_path: Path, database_url: str, redis_url: str,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:  # fmt: skip
    async with UnitOfWork(session_factory) as uow:
        await seed_demo(uow=uow)
    data_dir = tmp_path / "data"
    for teacher in ("teacher1", "teacher2"):
        code, out, err = await growth_engine(
            tmp_path, "chat", "--as", f"{teacher}@demo.school", stdin="export analyses\n",
            DATABASE_URL=database_url, REDIS_URL=redis_url, DATA_DIR=str(data_dir),
        )  # fmt: skip
        assert code == 0, err
        before, after = t("he", "terminal_file_saved", path="\0").split("\0")  # their students'
        [saved] = [line for line in out.splitlines() if line.startswith(before)]
        path = Path(saved.removeprefix(before).removesuffix(after))
        assert path.parent == data_dir / "downloads" / f"{teacher}@demo.school"
        assert path.name.startswith("analyses-DEMO-01-my-students-all-time-")
        assert path.suffix == ".csv"
    assert not (tmp_path / ".data").exists()  # nothing under the working directory
