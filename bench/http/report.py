"""bench.http's table, the sustained rate against the engine-only figure, and the verdict."""

from __future__ import annotations

import statistics

from bench import turns
from bench.http.load import Step
from bench.timing import percentile

# Issue 14: acks stay under 50 ms at the engine's full rate (was 100 ms before it).
TARGET_P99_MS = 50.0


def report(steps: list[Step], engine: turns.Run, target_rate: int) -> None:
    """The table, the sustained rate and its ratio to the engine, and the verdict."""
    print(
        f"\n{'offered':>7} {'sent/s':>7} {'acked/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'Slack p99':>9} {'TG p99':>7} {'max ms':>7} {'non-200':>7} {'turns/s':>7} "
        f"{'replies/s':>9}"
    )
    for s in steps:
        every, slack, tg = s.all_ms, s.ack_ms.get("slack", []), s.ack_ms.get("telegram", [])
        print(
            f"{s.rate:>7.0f} {s.sent_rate:>7.1f} {s.acked_rate:>7.1f} "
            f"{statistics.median(every) if every else float('nan'):>7.1f} "
            f"{percentile(every, 99):>7.1f} {percentile(slack, 99):>9.1f} "
            f"{percentile(tg, 99):>7.1f} {max(every, default=float('nan')):>7.1f} "
            f"{s.failures:>7} {s.turns_rate:>7.1f} {s.replies_rate:>9.1f}"
            f"{'' if s.sustained else '  (not sustained)'}"
        )
        print(f"{'':>9}then: {s.drained}")
    print(
        "  acked/s: 200 answers over the step (first send to last answer). p50/p99/max: HTTP\n"
        "  response time of each request. turns/s: AI calls (one per turn) and replies/s:\n"
        "  messages delivered to the fakes during the step; both continue after the ack, and\n"
        "  replies leave at most 30/s per platform (the pacer)."
    )
    engine_rate = engine.rate
    sustained = [s for s in steps if s.sustained]
    best = max(sustained, key=lambda s: s.acked_rate) if sustained else None
    print(f"\nEngine only (bench.turns, {turns.TARGET_LEVEL} conversations): {engine_rate:.1f} "
          f"exchanges/s, own-time p99 {percentile(engine.own_ms, 99):.1f} ms")  # fmt: skip
    if best is None:
        print("Sustained: no step was acknowledged at its offered rate")
    else:
        print(f"Sustained: {best.acked_rate:.1f} requests/s acknowledged (offered "
              f"{best.rate:.0f}/s, p50 {statistics.median(best.all_ms):.1f} ms, p99 "
              f"{percentile(best.all_ms, 99):.1f} ms); ratio to the engine-only figure "
              f"{best.acked_rate / engine_rate:.2f}x")  # fmt: skip
        if best is steps[-1]:
            print("  (the highest rate offered: the ack path's ceiling is above it)")
    at_engine = next(s for s in steps if s.rate == target_rate)
    p99 = percentile(at_engine.all_ms, 99)
    ok = at_engine.sustained and p99 < TARGET_P99_MS
    print(f"\nTarget: ack p99 < {TARGET_P99_MS:.0f} ms at the engine's sustained rate "
          f"({target_rate} requests/s): p99 {p99:.1f} ms, {at_engine.failures} non-200, "
          f"acked {at_engine.acked_rate:.1f}/s: {'PASS' if ok else 'FAIL'} "
          "(informational)")  # fmt: skip
