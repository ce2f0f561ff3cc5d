"""bench.turns' tables: the fair limit, round trips, RLS's cost, the profile and the verdict."""

from __future__ import annotations

from collections import Counter

from bench.turns.slices import GROUPS, Measured
from bench.turns.workload import (
    LEVELS,
    RLS_LIMIT,
    TARGET_LEVEL,
    TARGET_P99_FACTOR,
    TARGET_RATIO,
    TARGET_SCALE,
)

Results = dict[int, dict[str, Measured]]


def _mark(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def fair_table(results: Results) -> None:
    """Each side at each level: rate, own latency, CPU per exchange by process group."""
    short = {"bench process": "client", "postgres": "pg own", "redis": "redis", "fake AI": "AI"}
    print(f"\n{'conv':>4} {'side':<21} {'exch/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
          + " ".join(f"{short[g]:>7}" for g in GROUPS) + f" {'CPU ms':>7}")  # fmt: skip
    for conversations in LEVELS:
        for m in results[conversations].values():
            print(f"{conversations:>4} {m.side:<21} {m.rate:>7.0f} {m.p(50):>7.2f} {m.p(99):>7.2f} "
                  + " ".join(f"{m.cpu_ms(g):>7.2f}" for g in GROUPS)
                  + f" {m.cpu_ms():>7.2f}")  # fmt: skip
    print(
        "  p50/p99: own time per exchange, the model call excluded. CPU: ms per exchange of\n"
        "  this run's own processes only: client = the bench process (the engine or the\n"
        "  baseline's code, whichever ran in that slice), pg own = the Postgres backends of that\n"
        "  side's connections (pids from pg_stat_activity by application_name), redis = the\n"
        "  run's own redis-server, AI = the fake OpenAI process. Postgres's shared WAL writer\n"
        "  and checkpointer are not counted for either side."
    )
    print(f"\n{'conv':>4} {'engine/fair by rate':>20} {'by CPU':>8}")
    for conversations in LEVELS:
        engine, fair = results[conversations]["engine"], results[conversations]["fair"]
        print(f"{conversations:>4} {engine.rate / fair.rate:>20.1%} "
              f"{fair.cpu_ms() / engine.cpu_ms():>8.1%}")  # fmt: skip
    print("  by CPU: the fair exchange's CPU per exchange over the engine's (100 %: as cheap).")


def round_trips(results: Results) -> None:
    """The engine's SQL round trips per exchange by kind (the fair baseline makes nine)."""
    engine = results[1]["engine"]
    total = engine.per(sum(engine.sql.values()))
    print(f"\nEngine SQL round trips per exchange, one conversation: {total:.1f} "
          "(the fair baseline: 9; Redis: 2 each)")  # fmt: skip
    for label, count in engine.sql.most_common():
        print(f"  {engine.per(count):5.2f}  {label}")
    opened = ", ".join(
        f"{n}: {results[n]['engine'].per(results[n]['engine'].connects):.3f}" for n in LEVELS
    )
    print(f"  new database connections per exchange by conversations ({opened}): the pool "
          "closing overflow connections would show here")  # fmt: skip


def rls_cost(results: Results, engine: str, bypassed: str) -> None:
    """The engine as the application role against the same engine with RLS bypassed."""
    print(f"\nRow-level security's cost (the engine as the application role, against a login with "
          f"the same grants and BYPASSRLS; target: no worse than {RLS_LIMIT:.0%}):")  # fmt: skip
    for conversations in LEVELS:
        on, off = results[conversations][engine], results[conversations][bypassed]
        rate, cpu = on.rate / off.rate, on.cpu_ms() / off.cpu_ms()
        ok = rate >= 1 - RLS_LIMIT and cpu <= 1 + RLS_LIMIT
        print(f"  {conversations:>2} conversations: rate {on.rate:.0f} vs {off.rate:.0f}/s = "
              f"{rate:.1%}; CPU {on.cpu_ms():.2f} vs {off.cpu_ms():.2f} ms = {cpu:.1%}  "
              f"{_mark(ok) if conversations == TARGET_LEVEL else ''}")  # fmt: skip


def profile_table(engine: Measured, shares: Counter[str]) -> None:
    """The engine's CPU per exchange by component: the client's profile shares, pg, Redis, AI."""
    client = engine.cpu_ms("bench process")
    print(f"\nWhere the engine's CPU goes at {engine.conversations} conversations, ms per "
          f"exchange (bench process {client:.2f} ms split by a cProfile of one more "
          "slice):")  # fmt: skip
    for name, share in shares.most_common():
        if share >= 0.005:
            print(f"  {share * client:6.2f}  {share:6.1%}  {name}")
    for group in ("postgres", "redis", "fake AI"):
        print(f"  {engine.cpu_ms(group):6.2f}          {group} (own processes)")


def verdict(results: Results, engine_name: str, fair_name: str) -> bool:
    """PASS/FAIL per target; whether all pass."""
    engine, fair = results[TARGET_LEVEL][engine_name], results[TARGET_LEVEL][fair_name]
    rate = engine.rate / fair.rate
    cpu = fair.cpu_ms() / engine.cpu_ms()
    p99 = engine.p(99) / fair.p(99)
    wide = results[max(LEVELS)][engine_name]
    scale = wide.cpu_ms() / engine.cpu_ms() - 1
    checks = [
        (f"engine / fair at {TARGET_LEVEL} by rate {rate:.1%} (>= {TARGET_RATIO:.0%})",
         rate >= TARGET_RATIO),
        (f"engine / fair at {TARGET_LEVEL} by CPU {cpu:.1%} (>= {TARGET_RATIO:.0%})",
         cpu >= TARGET_RATIO),
        (f"engine p99 {engine.p(99):.1f} ms = {p99:.2f} x fair's {fair.p(99):.1f} ms "
         f"(<= {TARGET_P99_FACTOR:g} x)", p99 <= TARGET_P99_FACTOR),
        (f"engine CPU at {max(LEVELS)} {wide.cpu_ms():.2f} ms vs {engine.cpu_ms():.2f} at "
         f"{TARGET_LEVEL}: {scale:+.1%} (within {TARGET_SCALE:.0%})", scale <= TARGET_SCALE),
    ]  # fmt: skip
    print("\nTargets:")
    for text, ok in checks:
        print(f"  {_mark(ok)}  {text}")
    print("  (bench-http's ack p99 at the engine's full rate: see `make bench-http`)")
    return all(ok for _, ok in checks)
