"""The terminal adapter end to end: the console script as a subprocess, piped like a user would."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import asyncpg
import psutil
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.offline_ai import PREFIX
from adapters.settings import Settings
from bot.i18n import isolate, t
from core.demo import seed_demo
from tests.service_fixtures import seeding

LIAM = isolate("Liam O'Brien")
OFFLINE = PREFIX["he"]  # the demo school answers in Hebrew
ANSWERS = [
    "He is doing well overall this year.",
    "He reads fluently and loves maths.",
    "Long written tasks are hard for him.",
    "He learns best with visual examples.",
    "He gets on well with his classmates.",
]


async def growth_engine(
    tmp_path: Path, *args: str, stdin: str, **settings: str
) -> tuple[int, str, str]:
    """Run `python -m adapters.cli ARGS` with only `settings` configured; exit code and output."""
    # The terminal's locale picks the chat's language: these scripts expect the school's.
    unset = {*Settings.model_fields, "LANG", "LC_ALL", "LC_MESSAGES"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", *args,
        cwd=tmp_path, env={**env, **settings},
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(stdin.encode()), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def server_processes(data_dir: Path) -> list[psutil.Process]:
    """Live processes whose command line or working directory is inside data_dir."""
    marker = str(data_dir.resolve())
    found = []
    for proc in psutil.process_iter(["cmdline", "cwd", "status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        cmdline = " ".join(proc.info["cmdline"] or [])
        if marker in cmdline or marker in (proc.info["cwd"] or ""):
            found.append(proc)
    return found


def assert_no_servers(data_dir: Path) -> None:
    """Fail if a server for data_dir is still running a few seconds from now."""
    # Postgres children exit a moment after pg_ctl reports the postmaster gone.
    deadline = time.monotonic() + 10
    while (left := server_processes(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, [proc.info for proc in left]


async def test_a_piped_script_of_a_whole_analysis_produces_the_transcript_and_rows(
    tmp_path: Path,
    database_url: str,
    redis_url: str,
    session_factory: async_sessionmaker[AsyncSession],
    raw: asyncpg.Connection,
) -> None:
    async with seeding(session_factory) as uow:
        await seed_demo(uow=uow)
    script = "\n".join(["analyze Liam", *ANSWERS, "#1"]) + "\n"
    code, out, err = await growth_engine(
        tmp_path, "chat", "--as", "teacher1@demo.school", stdin=script,
        DATABASE_URL=database_url, REDIS_URL=redis_url, DATA_DIR=str(tmp_path / "data"),
    )  # fmt: skip
    assert code == 0, err
    assert "Traceback" not in out + err, err
    lines = out.splitlines()
    assert lines[0] == t("he", "terminal_hello", email="teacher1@demo.school")
    assert t("he", "started", name=LIAM) in lines
    questions = [line for line in lines if line.startswith(OFFLINE)]
    assert len(questions) == 5, out
    assert all("Liam" in question for question in questions)
    assert "O'Brien" not in "".join(questions)  # "Student A" is filled in with the first name
    assert t("he", "review_title", name=LIAM) in lines
    analysis = out[out.index(t("he", "review_title", name=LIAM)) :]
    assert "He reads fluently and loves maths" in analysis
    assert "Long written tasks are hard for him" in analysis
    assert lines[-1] == t("he", "saved", name=LIAM)

    row = await raw.fetchrow("SELECT id, status::text FROM analyses")
    assert row["status"] == "COMPLETED"
    turns = await raw.fetch(
        "SELECT role::text, content FROM analysis_conversations WHERE analysis_id = $1 "
        "ORDER BY sequence_number",
        row["id"],
    )
    assert [turn["role"] for turn in turns] == [
        "SYSTEM",
        *["ASSISTANT", "USER"] * len(ANSWERS),
        "ASSISTANT",
    ]
    assert [turn["content"] for turn in turns if turn["role"] == "USER"] == ANSWERS


async def test_run_on_a_fresh_configured_database_waits_for_db_upgrade_and_seeds_only_with_demo(
    tmp_path: Path, empty_database_url: str, redis_url: str
) -> None:
    env = {"DATABASE_URL": empty_database_url, "REDIS_URL": redis_url,
           "DATA_DIR": str(tmp_path / "data")}  # fmt: skip
    code, out, err = await growth_engine(tmp_path, "run", stdin="analyze Liam\n", **env)
    assert code == 2 and "run `growth-engine db upgrade`" in err, err
    assert "Demo data ready" not in out
    code, out, err = await growth_engine(tmp_path, "db", "upgrade", stdin="", **env)
    assert code == 0, err
    code, out, err = await growth_engine(tmp_path, "run", "--demo", stdin="analyze Liam\n", **env)
    assert code == 0, err
    assert "Traceback" not in out + err, err
    assert "Demo data ready: school DEMO-01" in out
    assert "Opening the terminal chat as teacher1@demo.school" in out
    assert t("he", "terminal_hello", email="teacher1@demo.school") in out
    first_question = next(line for line in out.splitlines() if line.startswith(OFFLINE))
    assert "Liam" in first_question


@pytest.mark.embedded
async def test_make_run_with_nothing_configured_uses_embedded_servers_and_leaves_none(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    code, out, err = await growth_engine(
        tmp_path, "run", stdin="analyze Liam\n", DATA_DIR=str(data_dir)
    )
    assert code == 0, err
    assert "Traceback" not in out + err, err
    assert f"Embedded PostgreSQL (DATABASE_URL unset): data in {data_dir / 'postgres'}" in out
    assert f"Embedded Redis (REDIS_URL unset): data in {data_dir / 'redis'}" in out
    assert "Opening the terminal chat as teacher1@demo.school" in out
    assert any(line.startswith(OFFLINE) and "Liam" in line for line in out.splitlines())
    assert_no_servers(data_dir)


async def test_chat_bidi_visual_prints_each_line_as_a_terminal_without_bidi_needs(
    tmp_path: Path,
    database_url: str,
    redis_url: str,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    from adapters.terminal_text import visual_line

    async with seeding(session_factory) as uow:
        await seed_demo(uow=uow)
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "DATA_DIR": str(tmp_path / "d")}
    outputs = {}
    for mode in ("logical", "visual"):
        code, out, err = await growth_engine(
            tmp_path, "chat", "--as", "teacher1@demo.school", "--bidi", mode,
            stdin="students\n", **env,
        )  # fmt: skip
        assert code == 0, err
        outputs[mode] = out.splitlines()
    title = t("he", "students_title")
    assert title in outputs["logical"]
    assert outputs["visual"] == [visual_line(line) for line in outputs["logical"]]
    assert title[::-1] in outputs["visual"]
