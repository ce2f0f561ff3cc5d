"""Percentiles and wall-clock timing, as every bench reports them."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager


def percentile(values: Sequence[float], q: int) -> float:
    """The q-th percentile, inclusive method; a lone value itself, NaN for none."""
    # statistics.quantiles wants two values; a step that acknowledged almost nothing has fewer.
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def timed_ms(call: Callable[[], Awaitable[object]]) -> float:
    """Milliseconds that awaiting `call()` took."""
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


@contextmanager
def total_time() -> Iterator[None]:
    """Print the run's total seconds at its end, unless it failed."""
    started = time.perf_counter()
    yield
    print(f"\nTotal {time.perf_counter() - started:.0f} s")
