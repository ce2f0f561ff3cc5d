"""bench.http's slow-model mode: 100 conversations answering a model that takes 2 s.

Each conversation (a seeded teacher one question into an interview) sends an answer, waits for
the next question to reach the fake platform, and answers again, for a while. Half are Slack
DMs (signed Events API messages), half Telegram updates: 100 conversations of 2 s turns want
50 replies a second, and Telegram allows a bot about 30 a second overall (the pacer keeps to
it), so 100 on Telegram alone would measure that platform limit, not us. The conversations
start spread over one model latency, as independent teachers do, not in one 100-message burst.
With no turn holding a slot while the model thinks, waits for its lock or for its pace, the
reply latency stays at the model's: PASS when reply p99 <= model latency + 1 s and ack p99 <
50 ms.

The ack is the webhook POST's response time at the client; the reply latency runs from that
POST's start to the moment the fake platform holds the reply (polled every 20 ms, so it is
over-, never under-stated; Slack's "still working" note is not a reply). The baseline,
measured first in the same run, is one conversation per platform alone: the same paths with
nothing to queue behind. CPU is counted for our own processes only: `serve`, the fake
servers' process, and the Postgres backends connected to the bench database (read from /proc;
a backend that closed during the run is missed, so that figure is a floor).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg

from adapters.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH
from bench import machine
from bench.databases import fresh_database
from bench.fakes import Fakes, fakes
from bench.http.seed import DB_NAME, TELEGRAM_USER_BASE, USERS_PER_PLATFORM, seed
from bench.http.serve import WEBHOOK_SECRET, serving
from bench.machine import load_average
from bench.timing import percentile
from tests.fakes.slack_server import event_callback, im_message, signed
from tests.fakes.telegram_server import message_update

MODEL_SECONDS = 2.0
CONVERSATIONS = 100
RUN_SECONDS = 20.0
BASELINE_SECONDS = 6.0
POLL_SECONDS = 0.02
ACK_P99_MS = 50.0


class Replies:
    """Watches the fake platforms: the moment each chat's reply count grows."""

    def __init__(self, http: aiohttp.ClientSession, fake: Fakes) -> None:
        self.http, self.fake = http, fake
        self.counts: dict[str, int] = {}
        self.changed = asyncio.Condition()

    async def watch(self) -> None:
        while True:
            telegram = await self.fake.telegram_per_chat(self.http)
            slack = await self.fake.slack_per_channel(self.http)
            counts = {f"tg:{chat}": n for chat, n in telegram.items()}
            counts |= {f"slack:{channel}": n for channel, n in slack.items()}
            if counts != self.counts:
                self.counts = counts
                async with self.changed:
                    self.changed.notify_all()
            await asyncio.sleep(POLL_SECONDS)

    async def beyond(self, chat: str, count: int) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.counts.get(chat, 0) > count)


@dataclass
class Figures:
    """What one phase measured."""

    seconds: float  # from the first send to the last reply
    acks: list[float] = field(default_factory=list)  # ms
    latencies: list[float] = field(default_factory=list)  # s
    sent_at: list[float] = field(default_factory=list)  # s into the phase, per latency
    started: float = field(default_factory=time.perf_counter)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


@dataclass
class Talk:
    """The run's shared pieces: the HTTP session, the serve URL, the reply watcher."""

    http: aiohttp.ClientSession
    base: str
    replies: Replies
    tag: str
    update_id: int = 10**6

    def request(self, n: int) -> tuple[str, str, bytes, dict[str, str]]:
        """Conversation `n`'s next answer: its reply key, URL, body and headers."""
        self.update_id += 1
        text = f"Answer {self.update_id}: loves maps."
        seeded = (n + 1) // 2  # odd n on Slack, even on Telegram, each from seeded teacher 1
        if n % 2:
            user = f"U{self.tag}N{seeded}"
            body = event_callback(im_message(user, text), f"Ev{self.tag}S{self.update_id}")
            headers = {"Content-Type": "application/json", **signed(body)}
            return f"slack:D{user}", f"{self.base}/slack/events", body.encode(), headers
        user_id = TELEGRAM_USER_BASE + USERS_PER_PLATFORM + seeded
        update = message_update(self.update_id, text, user_id=user_id, language_code="en")
        headers = {"Content-Type": "application/json", SECRET_HEADER: WEBHOOK_SECRET}
        return f"tg:{user_id}", f"{self.base}{WEBHOOK_PATH}", json.dumps(update).encode(), headers


async def conversation(talk: Talk, n: int, delay: float, until: float, figures: Figures) -> None:
    """After `delay`, answer, wait for the next question, answer again, until `until`."""
    await asyncio.sleep(delay)
    while time.monotonic() < until:
        chat, url, body, headers = talk.request(n)
        before = talk.replies.counts.get(chat, 0)
        started = time.perf_counter()
        async with talk.http.post(url, data=body, headers=headers) as response:
            await response.read()
            assert response.status == 200, response.status
        figures.acks.append((time.perf_counter() - started) * 1000)
        await talk.replies.beyond(chat, before)
        figures.latencies.append(time.perf_counter() - started)
        figures.sent_at.append(started - figures.started)


async def phase(talk: Talk, first: int, count: int, seconds: float) -> Figures:
    """`count` conversations (`first`…), starting spread over one model latency, `seconds`."""
    figures = Figures(seconds)
    started = time.monotonic()
    await asyncio.gather(*(
        conversation(talk, n, MODEL_SECONDS * i / count, started + seconds, figures)
        for i, n in enumerate(range(first, first + count))))  # fmt: skip
    figures.seconds = time.monotonic() - started  # to the last reply, past `seconds`
    return figures


async def backends(server_url: str) -> dict[str, int]:
    """The Postgres backends connected to the bench database, by a name per pid."""
    conn = await asyncpg.connect(server_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", DB_NAME)
    finally:
        await conn.close()
    return {f"pg{row['pid']}": row["pid"] for row in rows}


@dataclass
class Cpu:
    """CPU seconds our processes used over the measured phase."""

    serve: float
    fakes: float
    postgres: float
    busy: float  # the whole machine's, all cores


async def cpu_sample(server_url: str, pids: dict[str, int]) -> machine.CpuSample:
    return machine.sample(pids | await backends(server_url))


def cpu_used(before: machine.CpuSample, after: machine.CpuSample) -> Cpu:
    """Our processes' CPU between the samples; a backend new since `before` counts whole."""
    used = {name: value - before.groups.get(name, 0.0) for name, value in after.groups.items()}
    postgres = sum(value for name, value in used.items() if name.startswith("pg"))
    return Cpu(used["serve"], used["fakes"], postgres, after.busy - before.busy)


def report(base: Figures, run: Figures, cpu: Cpu | None, conversations: int) -> bool:
    """Print the figures and PASS or FAIL; True on PASS."""
    reply_p99, ack_p99 = percentile(run.latencies, 99), percentile(run.acks, 99)
    alone = statistics.median(base.latencies)
    print(f"  baseline, 1 conversation per platform: {len(base.latencies)} exchanges, reply p50 "
          f"{alone:.2f} s, ack p50 {statistics.median(base.acks):.1f} ms")  # fmt: skip
    print(f"  {conversations} conversations: {len(run.latencies)} exchanges ({run.rate:.1f}/s, "
          f"{run.rate * MODEL_SECONDS / conversations:.0%} of what a {MODEL_SECONDS:g} s model "
          f"allows); reply p50 {statistics.median(run.latencies):.2f} s, p99 {reply_p99:.2f} s "
          f"({reply_p99 / alone:.2f}x the baseline), max {max(run.latencies):.2f} s; ack p50 "
          f"{statistics.median(run.acks):.1f} ms, p99 {ack_p99:.1f} ms")  # fmt: skip
    # Whether the tail is one stall (slowest replies sent together) or spread over the run.
    slowest = sorted(zip(run.latencies, run.sent_at, strict=True), reverse=True)[:5]
    print("  slowest replies (latency, sent at): "
          + ", ".join(f"{took:.1f} s at +{at:.1f} s" for took, at in slowest))  # fmt: skip
    if cpu is not None and run.latencies:
        per = 1000 / len(run.latencies)
        print(f"  CPU per exchange: serve {cpu.serve * per:.1f} ms, Postgres backends "
              f"{cpu.postgres * per:.1f} ms, fakes {cpu.fakes * per:.1f} ms; serve used "
              f"{cpu.serve / run.seconds:.0%} of a core; the machine was "
              f"{cpu.busy / run.seconds / (os.cpu_count() or 1):.0%} busy (all processes); "
              f"load average {load_average()}")  # fmt: skip
    # The target is set at 100 conversations; fewer (--conversations) only informs.
    passed = reply_p99 <= MODEL_SECONDS + 1.0 and ack_p99 < ACK_P99_MS
    passed = passed and conversations >= CONVERSATIONS
    print(
        f"{'PASS' if passed else 'FAIL'}: reply p99 {reply_p99:.2f} s "
        f"(limit {MODEL_SECONDS + 1:g} s), ack p99 {ack_p99:.1f} ms (limit {ACK_P99_MS:g} ms)"
    )
    return passed


async def measure_slow(
    server_url: str, redis_url: str, tag: str, conversations: int = CONVERSATIONS
) -> bool:
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
                      f"{os.cpu_count()} CPUs; 1 conversation per platform for "
                      f"{BASELINE_SECONDS:g} s, then {conversations} for "
                      f"{RUN_SECONDS:g} s")  # fmt: skip
                connector = aiohttp.TCPConnector(limit=0)
                async with aiohttp.ClientSession(connector=connector) as http:
                    talk = Talk(http, served.base, Replies(http, fake), tag)
                    watcher = asyncio.create_task(talk.replies.watch())
                    base = await phase(talk, conversations + 1, 2, BASELINE_SECONDS)
                    pids = {"serve": served.process.pid, "fakes": fake.pid}
                    tracked = machine.available()
                    before = await cpu_sample(server_url, pids) if tracked else None
                    run = await phase(talk, 1, conversations, RUN_SECONDS)
                    after = await cpu_sample(server_url, pids) if tracked else None
                    watcher.cancel()
                log = served.log.read_text(errors="replace")
    errors = log.count("Traceback")
    warnings = [line for line in log.splitlines() if "retrying" in line or "ERROR" in line]
    cpu = cpu_used(before, after) if before is not None and after is not None else None
    print(f"  {errors} tracebacks and {len(warnings)} retries or errors in serve's log")
    for line in warnings[:5]:
        print(f"  {line}")
    return report(base, run, cpu, conversations) and not errors
