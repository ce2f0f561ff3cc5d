"""The teachers bench.http seeds: half Slack, half Telegram, one question into an interview."""

from __future__ import annotations

import contextlib
import io

from bench import interviews
from tests.fakes.slack_server import TEAM

DB_NAME = "ge_bench_http"
USERS_PER_PLATFORM = 2500
SCHOOLS = 40
TELEGRAM_USER_BASE = 10_000_000


def seed_sql(tag: str) -> list[tuple[str, str]]:
    """Teachers with a Slack or Telegram identity, each one question into an interview."""
    slack = f"n <= {USERS_PER_PLATFORM}"
    return interviews.interview_sql(
        prefix="http",
        teachers=2 * USERS_PER_PLATFORM,
        schools=SCHOOLS,
        identity=(
            f"CASE WHEN {slack} THEN 'SLACK' ELSE 'TELEGRAM' END::chat_platform AS platform, "
            f"CASE WHEN {slack} THEN '{TEAM}' ELSE '{tag}' END AS workspace, "
            f"CASE WHEN {slack} THEN 'U{tag}N' || n ELSE ({TELEGRAM_USER_BASE} + n)::text END "
            "AS external"
        ),
        database=DB_NAME,
        audited=2 * USERS_PER_PLATFORM,
    )


async def seed(url: str, tag: str) -> None:
    """Run `seed_sql`, its per-table counts unprinted."""
    with contextlib.redirect_stdout(io.StringIO()):
        await interviews.seed(url, seed_sql(tag))
