"""`bench.turns --profile`: one conversation's CPU by package and by our functions."""

from __future__ import annotations

import cProfile
import io
import pstats
from collections import Counter
from pathlib import Path

from bench import ROOT


def _package(filename: str) -> str:
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in filename:
            rest = filename.split(marker, 1)[1]
            return rest.split("/", 1)[0].removesuffix(".py")
    if filename.startswith("<") or filename == "~":
        return "builtins and C code"
    return Path(filename).parent.name or filename


def report(profiler: cProfile.Profile) -> None:
    """Print own time by package, our functions by cumulative time, then the top functions."""
    stats = pstats.Stats(profiler)
    by_package: Counter[str] = Counter()
    for (filename, _line, _name), row in stats.stats.items():  # type: ignore[attr-defined]
        by_package[_package(filename)] += row[2]
    total = sum(by_package.values())
    print("\ncProfile, one conversation, own CPU time by package (profiler overhead included):")
    for package, seconds in by_package.most_common(16):
        print(f"  {seconds / total:6.1%}  {package}")
    handle = next(
        row[3] for (f, _l, name), row in stats.stats.items()  # type: ignore[attr-defined]
        if name == "handle" and f.endswith("bot/engine.py")
    )  # fmt: skip
    ours = [
        (row[3], f"{Path(f).parent.name}/{Path(f).name}:{name}")
        for (f, _l, name), row in stats.stats.items()  # type: ignore[attr-defined]
        if f.startswith(str(ROOT)) and "/bench/" not in f and "/.venv/" not in f
    ]
    print("\nOur functions by cumulative time, as a share of DialogueEngine.handle:")
    for seconds, where in sorted(ours, reverse=True)[:16]:
        print(f"  {seconds / handle:6.1%}  {where}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(40)
    print("\nTop 12 functions by own time:")
    print("\n".join(out.getvalue().splitlines()[4:]))
