"""Every `tests/conversations/*.convo` transcript, typed into the terminal chat one line at a time.

The chat is `adapters.shell.chat`, the loop behind `growth-engine chat`, on an engine wired by
`adapters.wiring.build_engine` (the offline analyst, as a machine without an OpenAI key runs it),
against the test's own Postgres database and a Redis namespace of its own.
"""

from __future__ import annotations

import asyncio
import os
import queue
import sys
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.settings import Settings
from adapters.shell import chat, terminal_language
from adapters.wiring import build_engine
from bot.commands import is_control, parse
from core.demo import seed_demo
from core.uow import UnitOfWork
from tests.conversations.convo import (
    Bot,
    Cli,
    Convo,
    Db,
    Exit,
    Files,
    Given,
    Me,
    Restart,
    matches,
    parse_convo,
)
from tests.conversations.facts import check_fact

HERE = Path(__file__).resolve().parent
TRANSCRIPTS = sorted(HERE.glob("*.convo"))
TURN_DEADLINE = 60  # seconds one message may take, the offline analyst's analysis included
CLI_DEADLINE = 60  # seconds one `#cli` run may take


async def console(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run `growth-engine ARGS` (as `python -m adapters.cli`) with only `env` configured, no
    input; its exit code and everything it printed (stdout, then stderr)."""
    unset = {*Settings.model_fields, "LANG", "LC_ALL", "LC_MESSAGES"}
    inherited = {k: v for k, v in os.environ.items() if k not in unset}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", *args, cwd=cwd, env={**inherited, **env},
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), CLI_DEADLINE)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode() + err.decode()


class Keyboard:
    """Standard input for `chat`: hands over one line when the transcript says so."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._lines: queue.Queue[str] = queue.Queue(maxsize=1)
        self._loop = loop
        self.waiting = asyncio.Event()  # set when chat has answered and asks for the next line

    def __call__(self, prompt: str) -> str | None:
        """Called by `chat` in a worker thread, as terminal_input's ReadLine; None at the end."""
        self._loop.call_soon_threadsafe(self.waiting.set)
        return self._lines.get(timeout=TURN_DEADLINE * 2) or None

    def hang_up(self) -> None:
        """End of input for a chat the test gives up on, so its reading thread returns."""
        try:
            self._lines.put_nowait("")
        except queue.Full:
            pass

    async def type(self, line: str) -> None:
        """Wait until chat asks for a line, then give it `line`."""
        await asyncio.wait_for(self.waiting.wait(), TURN_DEADLINE)
        self.waiting.clear()
        self._lines.put_nowait(line)


@dataclass
class Session:
    """One `growth-engine chat` process: its keyboard, its screen and its task."""

    keyboard: Keyboard
    task: asyncio.Task[int]
    screen: list[str] = field(default_factory=list)


class Transcript:
    """What happened so far, for a failure message a reader can follow."""

    def __init__(self, convo: Convo) -> None:
        self.lines = [f"--- {convo.name}.convo as {convo.user} ---"]

    def fail(self, line: int, message: str) -> None:
        """Fail the test, showing the conversation up to here."""
        pytest.fail("\n".join([*self.lines, f">>> line {line}: {message}"]), pytrace=False)


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
async def test_transcript(
    path: Path,
    tmp_path: Path,
    database_url: str,
    redis_url: str,
    redis_namespace: str,
    session_factory: async_sessionmaker[AsyncSession],
    raw: asyncpg.Connection,
) -> None:
    convo = parse_convo(path)
    async with UnitOfWork(session_factory) as uow:
        await seed_demo(uow=uow)
    settings = Settings(_env_file=None, DATA_DIR=str(tmp_path / "data"))  # type: ignore[call-arg]
    workdir = tmp_path / "cwd"  # where `#cli` runs: it must stay empty of the operator's files
    workdir.mkdir()
    cli_env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DATA_DIR": str(settings.DATA_DIR),
    }
    exit_code: int | None = None
    transcript = Transcript(convo)
    loop = asyncio.get_running_loop()

    def start(user: str) -> Session:
        wired = build_engine(settings, database_url, redis_url, namespace=redis_namespace)
        keyboard = Keyboard(loop)
        screen: list[str] = []

        async def run() -> int:
            try:
                return await chat(
                    wired.engine,
                    user,
                    lines=keyboard,
                    write=screen.append,
                    downloads=tmp_path / "downloads",
                    language=terminal_language(convo.env),
                )
            finally:
                await wired.close()

        return Session(keyboard, asyncio.create_task(run()), screen)

    async def answer(session: Session) -> str:
        """Everything the chat wrote since the last line typed, once it waits for the next."""
        waiting = asyncio.ensure_future(session.keyboard.waiting.wait())
        done, _ = await asyncio.wait(
            [session.task, waiting], timeout=TURN_DEADLINE, return_when=asyncio.FIRST_COMPLETED
        )
        waiting.cancel()
        if not done:
            transcript.fail(0, f"no answer within {TURN_DEADLINE} s")
        if session.task in done:
            session.task.result()  # raises what the chat raised
        output = "\n".join(session.screen)
        session.screen.clear()
        return output

    async def stop(session: Session) -> None:
        await session.keyboard.type("")  # end of input: chat returns
        assert await asyncio.wait_for(session.task, TURN_DEADLINE) == 0

    who = convo.user
    session = start(who)
    output = await answer(session)
    transcript.lines.append(output)
    try:
        for step in convo.steps:
            if isinstance(step, Me):
                transcript.lines.append(f"#me {step.text}")
                await session.keyboard.type(step.text)
                output = await answer(session)
                transcript.lines.append(output)
            elif isinstance(step, Bot):
                for expectation in step.expect:
                    if not matches(expectation, output):
                        transcript.fail(
                            step.line, f"the bot's answer does not match {expectation!r}"
                        )
            elif isinstance(step, Db):
                problem = await check_fact(raw, step.fact)
                if problem:
                    transcript.fail(step.line, f"#db {step.fact}: {problem}")
            elif isinstance(step, Given):
                transcript.lines.append(f"#given {step.sql}")
                await raw.execute(step.sql)
            elif isinstance(step, Cli):
                transcript.lines.append(f"#cli {' '.join(step.args)}")
                exit_code, output = await console(step.args, workdir, {**cli_env, **step.env})
                transcript.lines += [output, f"(exit {exit_code})"]
            elif isinstance(step, Exit):
                if exit_code != step.code:
                    transcript.fail(step.line, f"the exit code is {exit_code}, not {step.code}")
            elif isinstance(step, Files):
                folder = workdir / step.folder if step.folder == "." else tmp_path / step.folder
                found = [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
                if len(found) != step.count:
                    transcript.fail(step.line, f"{step.folder} holds {[str(p) for p in found]}")
            elif isinstance(step, Restart):
                transcript.lines.append(f"#as {step.user}" if step.user else "#restart")
                await stop(session)
                who = step.user or who
                session = start(who)
                transcript.lines.append(await answer(session))
        await stop(session)
        # Whatever a transcript types, a control word never becomes a teacher's answer.
        answers = await raw.fetch("SELECT content FROM analysis_conversations WHERE role = 'USER'")
        stored = [row["content"] for row in answers if is_control(parse(row["content"]))]
        if stored:
            transcript.fail(0, f"control words stored as answers: {stored}")
    finally:
        if not session.task.done():
            session.keyboard.hang_up()
            session.task.cancel()
            await asyncio.gather(session.task, return_exceptions=True)


def test_there_are_transcripts() -> None:
    assert TRANSCRIPTS, HERE
