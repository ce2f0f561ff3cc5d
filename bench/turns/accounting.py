"""CPU per process group for one slice of a run, counting only this run's own processes.

The machine is shared: other people's tests and benches run on the same Postgres server and
cores. So Postgres counts only the backends this run opened, found in `pg_stat_activity` by
the application_name each side of the bench sets on its connections, and everything else by
pid (the bench process, its own Redis, the fake AI). Each slice reads the pids again at its
end, so a backend opened during the slice (pool overflow) counts from zero; one that closed
during it is lost (the pools keep theirs open, so none do in practice).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROC = Path("/proc")
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
ACTIVITY_SQL = "SELECT pid, application_name, datname FROM pg_stat_activity"


def process_cpu(pid: int, proc: Path = PROC, tick: int = TICK) -> float | None:
    """User + system CPU seconds of process `pid` itself (not its children); None if gone."""
    try:
        text = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: fields resume after the last ')'.
    fields = text[text.rindex(")") + 2 :].split()
    # proc(5) fields 14 and 15 (utime, stime); `fields` starts at field 3.
    return (int(fields[11]) + int(fields[12])) / tick


def own_backends(
    activity: Iterable[Mapping[str, Any]], applications: Mapping[str, str], database: str
) -> dict[str, list[int]]:
    """Backend pids per group: rows of `pg_stat_activity` in `database` whose application_name
    is one of `applications` (application_name -> group)."""
    found: dict[str, list[int]] = {group: [] for group in applications.values()}
    for row in activity:
        group = applications.get(row["application_name"] or "")
        if group is not None and row["datname"] == database:
            found[group].append(int(row["pid"]))
    return found


@dataclass(frozen=True)
class Snapshot:
    """CPU seconds so far of every counted pid, by group."""

    pids: Mapping[str, Mapping[int, float]]

    def since(self, earlier: Snapshot) -> dict[str, float]:
        """CPU seconds per group between `earlier` and now; a pid new since then counts fully."""
        used: dict[str, float] = {}
        for group, now in self.pids.items():
            before = earlier.pids.get(group, {})
            used[group] = sum(seconds - before.get(pid, 0.0) for pid, seconds in now.items())
        return used


def snapshot(groups: Mapping[str, Iterable[int]], proc: Path = PROC, tick: int = TICK) -> Snapshot:
    """Each group's pids with their CPU seconds so far (pids that are gone are left out)."""
    taken: dict[str, dict[int, float]] = {}
    for group, pids in groups.items():
        taken[group] = {}
        for pid in pids:
            seconds = process_cpu(pid, proc, tick)
            if seconds is not None:
                taken[group][pid] = seconds
    return Snapshot(taken)


def available(proc: Path = PROC) -> bool:
    """True where /proc can be read (Linux)."""
    return (proc / "self" / "stat").exists()
