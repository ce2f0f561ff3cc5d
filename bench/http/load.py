"""Open-loop load on `serve`: prepared Slack and Telegram requests sent at a fixed rate."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import aiohttp

from adapters.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH
from bench.fakes import Fakes
from bench.http.seed import TELEGRAM_USER_BASE, USERS_PER_PLATFORM
from bench.http.serve import WEBHOOK_SECRET
from bench.interviews import ANSWER
from tests.fakes.slack_server import event_callback, im_message, signed
from tests.fakes.telegram_server import message_update

DRAIN_SECONDS = 10.0
SUSTAINED_SHARE = 0.95  # a step is sustained when acknowledged at >= 95% of its offered rate


@dataclass(frozen=True)
class Request:
    """One prepared POST."""

    platform: str
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Users:
    """Hands out seeded teachers (never one twice) and unique event and update ids."""

    tag: str
    slack_next: int = 1
    telegram_next: int = USERS_PER_PLATFORM + 1
    sent: int = 0

    def requests(self, base: str, count: int) -> list[Request]:
        """`count` requests alternating Slack and Telegram, each a new teacher's answer."""
        prepared = []
        for _ in range(count):
            self.sent += 1
            if self.sent % 2:
                prepared.append(self._slack(base))
            else:
                prepared.append(self._telegram(base))
        return prepared

    def _slack(self, base: str) -> Request:
        n = self.slack_next
        if n > USERS_PER_PLATFORM:
            raise RuntimeError("all seeded Slack teachers used; raise USERS_PER_PLATFORM")
        self.slack_next += 1
        user = f"U{self.tag}N{n}"
        body = event_callback(im_message(user, ANSWER), f"Ev{self.tag}N{n}")
        headers = {"Content-Type": "application/json", **signed(body)}
        return Request("slack", f"{base}/slack/events", body.encode(), headers)

    def _telegram(self, base: str) -> Request:
        n = self.telegram_next
        if n > 2 * USERS_PER_PLATFORM:
            raise RuntimeError("all seeded Telegram teachers used; raise USERS_PER_PLATFORM")
        self.telegram_next += 1
        update = message_update(n, ANSWER, user_id=TELEGRAM_USER_BASE + n,
                                language_code="en")  # fmt: skip
        headers = {"Content-Type": "application/json", SECRET_HEADER: WEBHOOK_SECRET}
        return Request("telegram", f"{base}{WEBHOOK_PATH}", json.dumps(update).encode(), headers)


@dataclass
class Step:
    """One rate's results."""

    rate: float
    seconds: float
    sent_rate: float
    acked_rate: float
    ack_ms: dict[str, list[float]] = field(default_factory=dict)
    failures: int = 0
    turns_rate: float = 0.0
    replies_rate: float = 0.0
    drained: str = ""

    @property
    def all_ms(self) -> list[float]:
        """Every acknowledged request's latency."""
        return [ms for values in self.ack_ms.values() for ms in values]

    @property
    def sustained(self) -> bool:
        """Acknowledged at (nearly) the offered rate, every answer a 200."""
        return self.failures == 0 and self.acked_rate >= SUSTAINED_SHARE * self.rate


async def _send(http: aiohttp.ClientSession, request: Request) -> tuple[str, int, float, float]:
    started = time.perf_counter()
    try:
        async with http.post(request.url, data=request.body, headers=request.headers) as answer:
            await answer.read()
            status = answer.status
    except (aiohttp.ClientError, TimeoutError):
        status = 0
    ended = time.perf_counter()
    return request.platform, status, (ended - started) * 1000, ended


async def run_step(
    http: aiohttp.ClientSession, fake: Fakes, users: Users, base: str, rate: float, seconds: float
) -> Step:
    """Send at `rate` for `seconds` without waiting for answers (open loop)."""
    prepared = users.requests(base, round(rate * seconds))
    before = await fake.counts(http)
    loop = asyncio.get_running_loop()
    tasks = []
    start = loop.time()
    wall = time.perf_counter()
    for i, request in enumerate(prepared):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_send(http, request)))
    sending = time.perf_counter() - wall
    results = await asyncio.gather(*tasks)
    elapsed = max(ended for *_, ended in results) - wall
    after = await fake.counts(http)
    step = Step(
        rate=rate,
        seconds=elapsed,
        sent_rate=len(prepared) / max(sending + 1 / rate, 1e-9),
        acked_rate=sum(status == 200 for _, status, _, _ in results) / elapsed,
        failures=sum(status != 200 for _, status, _, _ in results),
        turns_rate=(after["ai"] - before["ai"]) / elapsed,
        replies_rate=(after["slack"] + after["telegram"] - before["slack"] - before["telegram"])
        / elapsed,
    )
    for platform, status, ms, _ in results:
        if status == 200:
            step.ack_ms.setdefault(platform, []).append(ms)
    return step


async def drain(http: aiohttp.ClientSession, fake: Fakes, expected: int) -> str:
    """Wait (bounded) until every request so far has had its turn and its reply."""
    started = time.perf_counter()
    while True:
        counts = await fake.counts(http)
        replies = counts["slack"] + counts["telegram"]
        if counts["ai"] >= expected and replies >= expected:
            return f"caught up in {time.perf_counter() - started:.1f} s"
        if time.perf_counter() - started > DRAIN_SECONDS:
            return (f"after {DRAIN_SECONDS:.0f} s still {expected - counts['ai']} turns and "
                    f"{expected - replies} replies queued")  # fmt: skip
        await asyncio.sleep(0.2)
