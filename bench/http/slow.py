"""bench.http's slow-model mode: 100 conversations answering a model that takes 2 s.

Each conversation (a seeded Telegram teacher one question into an interview) sends an answer,
waits for the next question to reach the fake Telegram, and answers again, for a while. With
no turn holding a slot while the model thinks, waits for its lock or for its pace, the reply
latency stays at the model's: PASS when reply p99 <= model latency + 1 s and ack p99 < 50 ms.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp

from adapters.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH
from bench.databases import fresh_database
from bench.fakes import Fakes, fakes
from bench.http.seed import DB_NAME, TELEGRAM_USER_BASE, USERS_PER_PLATFORM, seed
from bench.http.serve import WEBHOOK_SECRET, serving
from bench.machine import load_average
from bench.timing import percentile
from tests.fakes.telegram_server import message_update

MODEL_SECONDS = 2.0
CONVERSATIONS = 100
RUN_SECONDS = 20.0
POLL_SECONDS = 0.02
ACK_P99_MS = 50.0


class Replies:
    """Watches the fake Telegram: the moment each chat's message count grows."""

    def __init__(self, http: aiohttp.ClientSession, fake: Fakes) -> None:
        self.http, self.fake = http, fake
        self.counts: dict[int, int] = {}
        self.changed = asyncio.Condition()

    async def watch(self) -> None:
        while True:
            counts = await self.fake.telegram_per_chat(self.http)
            if counts != self.counts:
                self.counts = counts
                async with self.changed:
                    self.changed.notify_all()
            await asyncio.sleep(POLL_SECONDS)

    async def beyond(self, chat: int, count: int) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.counts.get(chat, 0) > count)


async def conversation(
    http: aiohttp.ClientSession, base: str, replies: Replies, n: int, until: float,
    acks: list[float], latencies: list[float], update_ids: list[int],
) -> None:  # fmt: skip
    """Answer, wait for the next question, answer again, until `until`."""
    user = TELEGRAM_USER_BASE + USERS_PER_PLATFORM + n
    headers = {"Content-Type": "application/json", SECRET_HEADER: WEBHOOK_SECRET}
    while time.monotonic() < until:
        update_ids[0] += 1
        update = message_update(update_ids[0], f"Answer {update_ids[0]}: loves maps.",
                                user_id=user, language_code="en")  # fmt: skip
        before = replies.counts.get(user, 0)
        started = time.perf_counter()
        async with http.post(f"{base}{WEBHOOK_PATH}", data=json.dumps(update).encode(),
                             headers=headers) as response:  # fmt: skip
            await response.read()
            assert response.status == 200, response.status
        acks.append((time.perf_counter() - started) * 1000)
        await replies.beyond(user, before)
        latencies.append(time.perf_counter() - started)


async def measure_slow(server_url: str, redis_url: str, tag: str) -> bool:
    """Run the slow-model mode; print the figures and PASS or FAIL; True on PASS."""
    token = f"{tag}:AAFakeBenchToken"
    async with fakes(token, ai_latency=MODEL_SECONDS) as fake:
        url = await fresh_database(server_url, DB_NAME)
        print(f"Slow model ({MODEL_SECONDS:g} s): seeding {DB_NAME}…")
        await seed(url, tag)
        extra = {"INTERVIEW_MIN_QUESTIONS": "40", "INTERVIEW_MAX_QUESTIONS": "40"}
        with tempfile.TemporaryDirectory(prefix="ge-bench-http-slow-") as workdir:
            async with serving(Path(workdir), url, redis_url, fake, token, extra) as served:
                print(f"serve at {served.base}; load average {load_average()} on "
                      f"{os.cpu_count()} CPUs; {CONVERSATIONS} conversations for "
                      f"{RUN_SECONDS:g} s")  # fmt: skip
                connector = aiohttp.TCPConnector(limit=0)
                async with aiohttp.ClientSession(connector=connector) as http:
                    replies = Replies(http, fake)
                    watcher = asyncio.create_task(replies.watch())
                    acks: list[float] = []
                    latencies: list[float] = []
                    ids = [10**6]
                    until = time.monotonic() + RUN_SECONDS
                    await asyncio.gather(*(
                        conversation(http, served.base, replies, n, until, acks, latencies, ids)
                        for n in range(1, CONVERSATIONS + 1)))  # fmt: skip
                    watcher.cancel()
                log = served.log.read_text(errors="replace")
                errors = log.count("Traceback")
                warnings = [line for line in log.splitlines() if "retrying" in line]
    reply_p99, ack_p99 = percentile(latencies, 99), percentile(acks, 99)
    print(f"  exchanges {len(latencies)} ({len(latencies) / RUN_SECONDS:.1f}/s); reply p50 "
          f"{statistics.median(latencies):.2f} s, p99 {reply_p99:.2f} s, max "
          f"{max(latencies):.2f} s; ack p50 {statistics.median(acks):.1f} ms, p99 "
          f"{ack_p99:.1f} ms; {errors} tracebacks; {len(warnings)} retries; load average "
          f"{load_average()}")  # fmt: skip
    for line in warnings[:5]:
        print(f"  {line}")
    passed = reply_p99 <= MODEL_SECONDS + 1.0 and ack_p99 < ACK_P99_MS and not errors
    print(
        f"{'PASS' if passed else 'FAIL'}: reply p99 {reply_p99:.2f} s "
        f"(limit {MODEL_SECONDS + 1:g} s), ack p99 {ack_p99:.1f} ms (limit {ACK_P99_MS:g} ms)"
    )
    return passed
