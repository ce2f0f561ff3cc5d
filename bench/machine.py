"""Whole-machine CPU accounting for a benchmark run: which processes used the cores (Linux /proc).

A benchmark on a small machine shares its cores with Postgres, Redis and the fake servers, so a
process's own CPU time alone cannot say how far the rate could go. This reads the machine's
busy time from /proc/stat and each process group's user + system time from /proc/PID/stat
(children that already exited count through their parent's cutime/cstime, which is how a
Postgres backend that closed its connection is still counted by the postmaster).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# Process groups found by command name; others are given by pid.
BY_NAME = {"postgres": ("postgres", "postmaster"), "redis": ("redis-server",)}


@dataclass(frozen=True)
class CpuSample:
    """CPU seconds used so far: the machine's busy time and each group's."""

    busy: float
    groups: Mapping[str, float] = field(default_factory=dict)

    def since(self, earlier: CpuSample) -> CpuSample:
        """The CPU seconds used between `earlier` and this sample."""
        return CpuSample(
            self.busy - earlier.busy,
            {name: used - earlier.groups.get(name, 0.0) for name, used in self.groups.items()},
        )


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, one decimal each."""
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def available() -> bool:
    """True where /proc can be read (Linux)."""
    return (PROC / "stat").exists()


def _busy() -> float:
    fields = (PROC / "stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICK


def _process(pid: int) -> tuple[str, float] | None:
    """(command name, CPU seconds including reaped children) of one process, if it exists."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    name = text[text.index("(") + 1 : text.rindex(")")]
    rest = text[text.rindex(")") + 2 :].split()
    # Fields 14-17 of proc(5): utime, stime, cutime, cstime; `rest` starts at field 3.
    return name, sum(int(v) for v in rest[11:15]) / TICK


def sample(pids: Mapping[str, int]) -> CpuSample:
    """The machine's busy time now, with the named groups and the given processes."""
    groups = {name: 0.0 for name in (*BY_NAME, *pids)}
    wanted = {pid: name for name, pid in pids.items()}
    for entry in PROC.iterdir():
        if not entry.name.isdecimal():
            continue
        found = _process(int(entry.name))
        if found is None:
            continue
        command, seconds = found
        if int(entry.name) in wanted:
            groups[wanted[int(entry.name)]] += seconds
            continue
        for group, commands in BY_NAME.items():
            if command in commands:
                groups[group] += seconds
    return CpuSample(_busy(), groups)
