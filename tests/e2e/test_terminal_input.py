"""The terminal chat's input: any bytes, long lines, several lines in one message, run after run.

The console script runs as a subprocess, piped and on a pseudo-terminal, with the offline
analyst, on the test's Postgres and Redis.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.settings import Settings
from adapters.terminal_input import read_message
from core.demo import seed_demo
from core.uow import UnitOfWork

LONG = 10_000
# readline turns bracketed paste on as it starts reading a line: the prompt is up.
PROMPT = b"\x1b[?2004h"


def _env(tmp_path: Path, database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    return {**env, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
            "DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1"}  # fmt: skip


async def _piped(tmp_path: Path, env: dict[str, str], stdin: bytes) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", "chat", "--as", "teacher1@demo.school",
        cwd=tmp_path, env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(stdin), 90)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def _answers(raw: asyncpg.Connection) -> list[str]:
    rows = await raw.fetch(
        "SELECT content FROM analysis_conversations WHERE role = 'USER' ORDER BY created_at, "
        "sequence_number"
    )
    return [row["content"] for row in rows]


@pytest.fixture
async def demo(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with UnitOfWork(session_factory) as uow:
        await seed_demo(uow=uow)


def test_a_line_ending_in_a_backslash_continues_the_message() -> None:
    lines = iter(["one \\", "two\\", "three", "four", "last\\"])
    def read(prompt: str) -> str | None:
        return next(lines, None)
    assert read_message(read, prompt=False) == "one \ntwo\nthree"
    assert read_message(read, prompt=False) == "four"
    assert read_message(read, prompt=False) == "last"  # the end of input ends the message
    assert read_message(read, prompt=False) is None


async def test_piped_nul_invalid_utf8_latin1_and_a_10000_character_line_are_answers(
    tmp_path: Path, database_url: str, redis_url: str, raw: asyncpg.Connection, demo: None
) -> None:
    script = b"\n".join([
        b"lang en", b"students\x00 \xff", b"analyze Liam",
        b"He reads\x00 well \xff\xfe here", "Caf\u00e9 au lait".encode("latin-1"),
        b"z" * LONG, b"first item\\", b"second item", b"cancel",
    ]) + b"\n"  # fmt: skip
    code, out, err = await _piped(tmp_path, _env(tmp_path, database_url, redis_url), script)
    assert code == 0, err
    assert "Traceback" not in out + err
    answers = await _answers(raw)
    assert answers[:2] == ["He reads well \ufffd\ufffd here", "Caf\ufffd au lait"]
    assert answers[2] == "z" * LONG
    assert answers[3] == "first item\nsecond item"


async def test_a_second_run_answers_its_first_lines_like_the_first_run(
    tmp_path: Path, database_url: str, redis_url: str, demo: None
) -> None:
    env = _env(tmp_path, database_url, redis_url)
    outputs = [await _piped(tmp_path, env, b"lang en\nstudents\n") for _ in range(2)]
    for code, out, err in outputs:
        assert code == 0, err
        assert "I will answer in English" in out
        assert "Liam" in out, out


class Pty:
    """The chat on a pseudo-terminal, as a person at a keyboard has it."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        import subprocess

        self.master, slave = os.openpty()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "adapters.cli", "chat", "--as", "teacher1@demo.school"],
            cwd=tmp_path, env={**env, "TERM": "dumb"}, stdin=slave, stdout=slave, stderr=slave,
            start_new_session=True,
        )  # fmt: skip
        os.close(slave)
        self.output = b""
        self._lock = threading.Lock()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self.output += chunk

    async def wait_for(self, needle: bytes, after: int, within: float = 60) -> int:
        """Wait until `needle` appears in the output past offset `after`; its end offset."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            with self._lock:
                found = self.output.find(needle, after)
            if found >= 0:
                return found + len(needle)
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {needle!r} in {self.output[after:][-2000:]!r}")

    async def type(self, data: bytes, seen: int) -> int:
        """At the next prompt after offset `seen`, type `data`; the offset of that prompt."""
        seen = await self.wait_for(PROMPT, seen)
        for start in range(0, len(data), 1024):
            os.write(self.master, data[start : start + 1024])
            await asyncio.sleep(0.01)
        return seen

    async def close(self, seen: int) -> int:
        """Ctrl-D at the next prompt; the exit code."""
        await self.wait_for(PROMPT, seen)
        os.write(self.master, b"\x04")
        try:
            code = await asyncio.to_thread(self.process.wait, 60)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            os.close(self.master)
        return code


async def test_at_a_terminal_a_10000_character_line_and_a_paste_of_lines_arrive_whole(
    tmp_path: Path, database_url: str, redis_url: str, raw: asyncpg.Connection, demo: None
) -> None:
    term = Pty(tmp_path, _env(tmp_path, database_url, redis_url))
    seen = await term.type(b"lang en\r", 0)
    seen = await term.type(b"analyze Liam\r", seen)
    seen = await term.wait_for(b"Liam", seen)
    seen = await term.type(b"y" * LONG + b"\r", seen)
    # Bracketed paste: the terminal wraps a paste in these markers; Enter then sends it.
    seen = await term.type(b"\x1b[200~first line\rsecond line\x1b[201~\r", seen)
    seen = await term.type(b"bad \xff byte\r", seen)
    code = await term.close(seen)
    assert code == 0, term.output[-3000:]
    assert b"Traceback" not in term.output
    answers = await _answers(raw)
    assert answers[0] == "y" * LONG  # not cut at the terminal's 4,095
    assert answers[1] == "first line\nsecond line"
    assert answers[2] == "bad \ufffd byte"
