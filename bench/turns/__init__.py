"""Dialogue turns: the engine's exchange against a fair baseline doing its work, and RLS's cost.

An exchange is a teacher's answer and the assistant's next question. Three sides run at 1, 8
and 32 conversations, interleaved in short slices so that outside load on this shared machine
falls on each evenly:
- engine: wired as production wires it (Postgres as the application role, Redis FIFO locks,
  the real OpenAIProvider, replies recorded in the outbox through a router), against FakeOpenAI
  in a child process answering instantly;
- engine, RLS bypassed: the same engine logged in as a role with the same grants and BYPASSRLS,
  so the two differ only in row-level security (`ge_act_as` still runs: it is the live-user
  check too);
- fair: a hand-written exchange doing the same essential work (bench/turns/fair.py says what:
  inbox claim, act-as and the live-user check, the access rule, the turns, the audit rows,
  the state record, the outbox, the model call with the same redacted request), nine SQL round
  trips over an asyncpg pool.
Each prints exchanges/s, own p50/p99 (the model call excluded) and CPU per exchange of this
run's own processes by group: Postgres counts only the backends of that side's connections
(by application_name in pg_stat_activity), Redis is a server the run starts for itself. Then
engine / fair by rate and CPU, RLS's cost, a profile of the engine's CPU by component and
PASS/FAIL per target (informational: the exit code does not depend on it).

Run: `python -m bench.turns [--profile]` (DATABASE_URL, a superuser's, else an embedded server
under .data/bench). `--profile` adds cProfile's top functions at one conversation.
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
