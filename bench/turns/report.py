"""bench.turns' tables: rates against the baseline, where the time and the CPU go, verdict."""

from __future__ import annotations

import os
import statistics

from bench.timing import percentile
from bench.turns.rig import Run
from bench.turns.workload import TARGET_LEVEL, TARGET_P99_MS, TARGET_RATIO


def table(rows: list[tuple[Run, float]]) -> None:
    """Each concurrency's rate, latency and round trips against the baseline's rate."""
    print(
        f"\n{'conv':>4} {'exch/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'SQL rt':>7} {'Redis rt':>8} "
        f"{'CPU ms':>7} {'base tx/s':>9} {'ratio':>6}"
    )
    for run, base in rows:
        print(
            f"{run.conversations:>4} {run.rate:>8.0f} {statistics.median(run.own_ms):>7.2f} "
            f"{percentile(run.own_ms, 99):>7.2f} {run.per(run.sql_round_trips):>7.1f} "
            f"{run.per(run.redis_round_trips):>8.1f} {run.per(run.cpu_seconds) * 1000:>7.2f} "
            f"{base:>9.0f} {run.rate / base:>6.1%}"
        )
    print(
        "  p50/p99: the engine's own time per exchange (model call excluded). SQL rt, Redis rt:\n"
        "  round trips per exchange. CPU ms: this process's CPU per exchange, the OpenAI client\n"
        "  included. base tx/s: raw asyncpg, one transaction holding the exchange's four writes,\n"
        "  at the same concurrency. ratio: engine exchanges/s over baseline tx/s."
    )


def where_time_goes(run: Run) -> None:
    """One run's own time split into SQL, Redis and the rest; in detail for one conversation."""
    own = statistics.fmean(run.own_ms)
    sql = run.per(run.sql_seconds) * 1000
    redis_ms = run.per(run.redis_seconds) * 1000
    rest = max(own - sql - redis_ms, 0.0)
    if run.conversations > 1:
        print(f"  {run.conversations:>2} conversations: own {own:6.2f} ms = SQL {sql:6.2f} + "
              f"Redis {redis_ms:5.2f} + rest {rest:6.2f} (waits for the loop and the pool "
              f"included); new connections {run.per(run.connects):.2f}, statement-cache "
              f"misses {run.per(run.sql['PREPARE (cache miss)']):.2f} per exchange")  # fmt: skip
        return
    cpu = run.per(run.cpu_seconds - run.model_cpu) * 1000
    print(f"\nWhere the time goes, one conversation, per exchange: own time {own:.2f} ms "
          f"(model call {run.per(run.model_seconds) * 1000:.2f} ms excluded)")  # fmt: skip
    print(f"  SQL    {run.per(run.sql_round_trips):5.1f} round trips {sql:6.2f} ms "
          f"({sql / run.per(run.sql_round_trips):.2f} ms each, driver and ORM code under the "
          "await included)")  # fmt: skip
    print(f"  Redis  {run.per(run.redis_round_trips):5.1f} round trips {redis_ms:6.2f} ms")
    print(f"  Python                   {rest:6.2f} ms (the rest; process CPU outside the model "
          f"call: {cpu:.2f} ms per exchange)")  # fmt: skip
    print("  SQL round trips per exchange, by kind:")
    for label, count in run.sql.most_common():
        print(f"    {run.per(count):5.2f}  {label}")
    pings, commits = run.per(run.sql["ping ;"]), run.per(run.sql["COMMIT"])
    actor = run.per(run.sql["SELECT users"])
    print("  Biggest levers:")
    print(f"    pool pre-ping: {pings:.0f} checkouts x 3 round trips (BEGIN, ';', ROLLBACK) = "
          f"{3 * pings / run.per(run.sql_round_trips):.0%} of SQL round trips")  # fmt: skip
    print(f"    {commits:.0f} transactions (BEGIN + COMMIT, each commit a WAL flush) per "
          "exchange; the baseline needs 1")  # fmt: skip
    print(f"    the user row is read {actor:.0f} times (chat identity + one refresh per "
          "service call)")  # fmt: skip


def machine_table(rows: list[tuple[Run, float]]) -> None:
    """Each process group's CPU per exchange, and the rate at which all cores would be busy."""
    measured = [run for run, _ in rows if run.machine is not None]
    if not measured:
        print("\n(no /proc here: the machine's CPU is not broken down)")
        return
    cores = os.cpu_count() or 1
    names = ["engine", "postgres", "redis", "fake AI"]
    print(f"\nMachine CPU per exchange, ms, every process ({cores} cores):")
    print(f"{'conv':>4} {'all':>6} " + " ".join(f"{n:>8}" for n in names)
          + f" {'other':>6} {'cores busy':>10} {'all-cores rate':>14}")  # fmt: skip
    for run in measured:
        assert run.machine is not None
        used = {name: run.per(run.machine.groups[name]) * 1000 for name in names}
        busy = run.per(run.machine.busy) * 1000
        other = busy - sum(used.values())
        print(f"{run.conversations:>4} {busy:>6.2f} "
              + " ".join(f"{used[n]:>8.2f}" for n in names)
              + f" {other:>6.2f} {run.machine.busy / run.seconds:>10.2f} "
              f"{cores * 1000 / busy:>14.0f}")  # fmt: skip
    print(
        "  all-cores rate: exchanges/s at which this machine's cores would all be busy at\n"
        "  the measured CPU per exchange (the ceiling for any number of engine processes)."
    )


def budget(rows: list[tuple[Run, float]]) -> None:
    """What the rate target leaves for the engine's own code, in CPU per exchange."""
    at_target = next(((r, b) for r, b in rows if r.conversations == TARGET_LEVEL), None)
    alone = next((r for r, _ in rows if r.conversations == 1), None)
    if at_target is None or alone is None or at_target[0].machine is None:
        return
    run, base = at_target
    assert run.machine is not None
    cores = os.cpu_count() or 1
    rate = TARGET_RATIO * base
    budget = cores * 1000 / rate
    outside = {n: run.per(run.machine.groups[n]) * 1000 for n in ("postgres", "redis", "fake AI")}
    client = alone.per(alone.model_cpu) * 1000
    engine = run.per(run.machine.groups["engine"]) * 1000
    print(f"\nWhat {TARGET_RATIO:.0%} of the baseline needs at {TARGET_LEVEL} conversations: "
          f"{rate:.0f} exchanges/s = at most {budget:.2f} ms of CPU per exchange on "
          f"{cores} cores, every process together.")  # fmt: skip
    print("  spent outside the engine process: "
          + ", ".join(f"{n} {v:.2f}" for n, v in outside.items())
          + f" = {sum(outside.values()):.2f} ms")  # fmt: skip
    print(f"  the openai client inside the engine, per call: {client:.2f} ms")
    left = budget - sum(outside.values()) - client
    print(f"  left for the rest of the engine (dialogue, audit, SQL and Redis clients): "
          f"{left:.2f} ms; it uses {engine - client:.2f} ms")  # fmt: skip


def verdict(run: Run, base: float) -> bool:
    """Print the rate and p99 against their targets; whether both pass."""
    ratio, p99 = run.rate / base, percentile(run.own_ms, 99)
    ok_rate, ok_p99 = ratio >= TARGET_RATIO, p99 < TARGET_P99_MS
    print(f"\nTargets at {run.conversations} conversations:")
    print(f"  rate  {run.rate:.0f} exchanges/s = {ratio:.1%} of baseline {base:.0f} tx/s "
          f"(target >= {TARGET_RATIO:.0%}): {'PASS' if ok_rate else 'FAIL'}")  # fmt: skip
    print(f"  p99   {p99:.2f} ms own time per exchange (target < {TARGET_P99_MS:.0f} ms): "
          f"{'PASS' if ok_p99 else 'FAIL'}")  # fmt: skip
    return ok_rate and ok_p99
