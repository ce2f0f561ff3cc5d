"""Dialogue turns: the engine's exchanges/s and own time per exchange against raw asyncpg.

An exchange is a teacher's answer and the assistant's next question. The engine is wired as
production wires it (Postgres, Redis locks and seen ids, the real OpenAIProvider) against
FakeOpenAI answering instantly; the fake runs in a child process so its HTTP server does not
share the engine's event loop. A timing decorator around the provider measures the model call,
which is subtracted from each exchange's time. 1, 8 and 32 conversations run at once, each its
own teacher with one interview in progress (six exchanges per interview, then the next teacher).

The baseline is raw asyncpg doing only the writes of one exchange in one transaction: the
teacher's row, the assistant's row, the analysis update and the audit row. It runs at the same
concurrency right after the engine. PASS/FAIL is against the targets at 8 conversations and is
informational (the exit code does not depend on it). SQL round trips are counted per kind (pool
pre-ping, BEGIN/COMMIT, each statement), Redis round trips from RedisLocks.round_trips plus the
seen-id checks; one conversation's time is split into SQL, Redis and Python.

Run: `python -m bench.turns [--profile]` (DATABASE_URL and REDIS_URL, else embedded servers
under .data/bench). `--profile` adds a cProfile of one conversation.
"""

from bench.interviews import ANSWER, FIRST_QUESTION
from bench.turns.rig import Rig, Run, build, drive, engine_rig
from bench.turns.seed import seed
from bench.turns.workload import MEASURE_SECONDS, TARGET_LEVEL, TEACHERS, WARMUP_SECONDS

__all__ = [
    "ANSWER",
    "FIRST_QUESTION",
    "MEASURE_SECONDS",
    "TARGET_LEVEL",
    "TEACHERS",
    "WARMUP_SECONDS",
    "Rig",
    "Run",
    "build",
    "drive",
    "engine_rig",
    "seed",
]
