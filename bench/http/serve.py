"""`growth-engine serve` in a subprocess, configured against the fakes and healthy."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from adapters.settings import Settings
from bench.fakes import Fakes
from tests.fakes.slack_server import BOT_TOKEN, SIGNING_SECRET, TEAM

STOP_SECONDS = 15.0
WEBHOOK_SECRET = "bench-webhook-secret"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    """The `serve` subprocess."""

    process: asyncio.subprocess.Process
    base: str
    log: Path

    def tail(self, lines: int = 30) -> str:
        """The last lines of its output."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@contextlib.asynccontextmanager
async def serving(
    workdir: Path,
    database_url: str,
    redis_url: str,
    fake: Fakes,
    token: str,
    extra: dict[str, str] | None = None,
) -> AsyncIterator[Served]:
    """`python -m adapters.cli serve` against the fakes (`extra` settings), healthy; SIGTERM."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    env |= {
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "DATA_DIR": str(workdir / "data"),
        "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(port),
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.slack, "SLACK_ALLOWED_TEAMS": TEAM,
        "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": fake.telegram,
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "OPENAI_API_KEY": "bench", "OPENAI_BASE_URL": fake.ai, "OPENAI_MAX_RETRIES": "0",
        # As bench.turns: no early finish, so every answer gets the next question.
        "INTERVIEW_MIN_QUESTIONS": "8", "INTERVIEW_MAX_QUESTIONS": "8", "DEFAULT_LANGUAGE": "en",
    } | (extra or {})  # fmt: skip
    log = workdir / "serve.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "adapters.cli", "serve",
            cwd=workdir, env=env, stdout=out, stderr=out,
        )  # fmt: skip
    served = Served(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as http:
            while True:
                if process.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"serve did not become healthy:\n{served.tail()}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{served.base}/healthz") as response:
                        if response.status == 200:
                            break
                await asyncio.sleep(0.1)
        yield served
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), STOP_SECONDS)
            except TimeoutError:
                print(f"  serve still finishing queued replies after {STOP_SECONDS:.0f} s; killed")
                process.kill()
                await process.wait()
