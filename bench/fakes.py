"""The fake OpenAI, Slack and Telegram servers in a child process, so they share no event loop."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp

from bench import ROOT

# FakeOpenAI in a fresh interpreter: print the base URL, serve until stdin closes.
FAKE_OPENAI = """
import asyncio, sys
from tests.fakes.openai_server import FakeOpenAI

async def main():
    async with FakeOpenAI() as fake:
        print(fake.base_url, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(main())
"""

# FakeOpenAI, FakeSlack and FakeTelegram in a fresh interpreter: print their URLs (and one of
# our own answering GET /counts), serve until stdin closes.
FAKES = """
import asyncio, json, sys
from aiohttp import web
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack_server import FakeSlack
from tests.fakes.telegram_server import FakeTelegram

async def main(token, latency):
    async with FakeOpenAI() as ai, FakeSlack() as slack, FakeTelegram(token=token) as tg:
        ai.latency = latency
        async def counts(request):
            return web.json_response({"ai": len(ai.requests), "slack": len(slack.messages()),
                                      "telegram": len(tg.sent)})
        async def per_chat(request):
            sent = {}
            for message in tg.sent:
                sent[message.chat_id] = sent.get(message.chat_id, 0) + 1
            return web.json_response({str(chat): n for chat, n in sent.items()})
        from bot.i18n import t
        from tests.fakes.slack_server import text_of
        notes = {t(language, "still_working") for language in ("he", "en")}
        async def slack_per_channel(request):
            # Replies only: the "still working" note of a long model call is not one.
            sent = {}
            for message in slack.messages():
                if text_of(message) not in notes:
                    sent[message["channel"]] = sent.get(message["channel"], 0) + 1
            return web.json_response(sent)
        app = web.Application()
        app.router.add_get("/counts", counts)
        app.router.add_get("/telegram-per-chat", per_chat)
        app.router.add_get("/slack-per-channel", slack_per_channel)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        print(json.dumps({"ai": ai.base_url, "slack": slack.base_url, "telegram": tg.base_url,
                          "counts": f"http://127.0.0.1:{port}/counts"}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await runner.cleanup()

asyncio.run(main(sys.argv[1], float(sys.argv[2])))
"""


@asynccontextmanager
async def _child(script: str, *argv: str) -> AsyncIterator[tuple[bytes, int]]:
    """`script` in a child interpreter: its first line of output and its pid; ends it after."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, *argv, cwd=ROOT,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        yield line, process.pid
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            await process.wait()


@dataclass(frozen=True)
class FakeProcess:
    """The fake OpenAI server's base URL and process id."""

    url: str
    pid: int


@asynccontextmanager
async def fake_openai() -> AsyncIterator[FakeProcess]:
    """FakeOpenAI in a child process (instant answers)."""
    async with _child(FAKE_OPENAI) as (line, pid):
        if not line.startswith(b"http"):
            raise RuntimeError(f"fake OpenAI did not start: {line!r}")
        yield FakeProcess(line.decode().strip(), pid)


@dataclass
class Fakes:
    """Where the fake servers in the child process listen."""

    ai: str
    slack: str
    telegram: str
    counts_url: str
    zero: dict[str, int] = field(default_factory=dict)
    pid: int = 0  # the child process serving them

    async def counts(self, http: aiohttp.ClientSession) -> dict[str, int]:
        """AI requests answered, Slack messages posted and Telegram messages sent since `reset`."""
        async with http.get(self.counts_url) as response:
            counts: dict[str, int] = await response.json()
        return {name: value - self.zero.get(name, 0) for name, value in counts.items()}

    async def telegram_per_chat(self, http: aiohttp.ClientSession) -> dict[int, int]:
        """Telegram messages sent so far, per chat."""
        url = self.counts_url.rsplit("/", 1)[0] + "/telegram-per-chat"
        async with http.get(url) as response:
            return {int(chat): n for chat, n in (await response.json()).items()}

    async def slack_per_channel(self, http: aiohttp.ClientSession) -> dict[str, int]:
        """Slack replies posted so far (not "still working" notes), per channel."""
        url = self.counts_url.rsplit("/", 1)[0] + "/slack-per-channel"
        async with http.get(url) as response:
            return {str(channel): int(n) for channel, n in (await response.json()).items()}

    async def reset(self, http: aiohttp.ClientSession) -> None:
        """Count from zero again (the engine-only run used the same fake AI)."""
        self.zero = {}
        self.zero = await self.counts(http)


@asynccontextmanager
async def fakes(token: str, ai_latency: float = 0.0) -> AsyncIterator[Fakes]:
    """The fake Slack, Telegram and OpenAI servers in one child process (the model slow)."""
    async with _child(FAKES, token, str(ai_latency)) as (line, pid):
        try:
            urls = json.loads(line)
        except ValueError:
            raise RuntimeError(f"the fake servers did not start: {line!r}") from None
        yield Fakes(urls["ai"], urls["slack"], urls["telegram"], urls["counts"], pid=pid)
