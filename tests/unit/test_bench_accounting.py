"""bench-turns counts CPU of this run's own processes only: its backends, not the server's."""

from __future__ import annotations

from pathlib import Path

from bench.turns import accounting


def _stat(proc: Path, pid: int, name: str, utime: int, stime: int, cutime: int = 0) -> None:
    """A /proc/PID/stat line: fields 14-17 are utime, stime, cutime, cstime (clock ticks)."""
    fields = ["S", "1", "1", "1", "0", "-1", "4194560", "0", "0", "0", "0",
              str(utime), str(stime), str(cutime), "0", "20", "0", "1", "0"]  # fmt: skip
    (proc / str(pid)).mkdir(parents=True, exist_ok=True)
    (proc / str(pid) / "stat").write_text(f"{pid} ({name}) {' '.join(fields)}\n")


ACTIVITY = [
    {"pid": 101, "application_name": "ge-bench-engine", "datname": "ge_bench_turns"},
    {"pid": 102, "application_name": "ge-bench-engine", "datname": "ge_bench_turns"},
    {"pid": 103, "application_name": "ge-bench-fair", "datname": "ge_bench_turns"},
    # Another engineer's tests: same server, same program name, another database.
    {"pid": 201, "application_name": "ge-bench-engine", "datname": "test_xyz"},
    {"pid": 202, "application_name": "", "datname": "ge_bench_turns"},
    {"pid": 203, "application_name": None, "datname": None},  # a background worker
]


def test_own_backends_are_this_runs_by_application_and_database() -> None:
    groups = accounting.own_backends(
        ACTIVITY, {"ge-bench-engine": "engine pg", "ge-bench-fair": "fair pg"}, "ge_bench_turns"
    )
    assert groups == {"engine pg": [101, 102], "fair pg": [103]}


def test_cpu_per_group_counts_only_the_given_pids_and_new_ones_from_zero(tmp_path: Path) -> None:
    names = {101: "postgres: engine", 102: "postgres: engine", 103: "postgres: fair",
             201: "postgres: other", 202: "postgres"}  # fmt: skip
    for pid, name in names.items():
        _stat(tmp_path, pid, name, utime=100, stime=50)
    _stat(tmp_path, 7, "python (bench) x", utime=1000, stime=0, cutime=5000)
    backends = accounting.own_backends(ACTIVITY, {"ge-bench-engine": "postgres"}, "ge_bench_turns")
    before = accounting.snapshot({"postgres": backends["postgres"], "bench": [7]}, tmp_path, 100)
    # During the slice: our two backends and the bench work, others too, and a new backend.
    _stat(tmp_path, 101, "postgres: engine", utime=130, stime=60)  # +0.40 s
    _stat(tmp_path, 102, "postgres: engine", utime=110, stime=50)  # +0.10 s
    _stat(tmp_path, 201, "postgres: other", utime=900, stime=900)  # someone else's: not ours
    _stat(tmp_path, 202, "postgres", utime=900, stime=900)
    _stat(tmp_path, 104, "postgres: engine", utime=20, stime=5)  # opened during the slice
    _stat(tmp_path, 7, "python (bench) x", utime=1200, stime=30, cutime=9000)  # children not ours
    activity = [*ACTIVITY, {"pid": 104, "application_name": "ge-bench-engine",
                            "datname": "ge_bench_turns"}]  # fmt: skip
    backends = accounting.own_backends(activity, {"ge-bench-engine": "postgres"}, "ge_bench_turns")
    after = accounting.snapshot({"postgres": backends["postgres"], "bench": [7]}, tmp_path, 100)
    used = after.since(before)
    assert round(used["postgres"], 6) == 0.75  # 0.40 + 0.10 + 0.25 of the new backend
    assert round(used["bench"], 6) == 2.30


def test_a_process_gone_is_left_out(tmp_path: Path) -> None:
    _stat(tmp_path, 5, "postgres", utime=10, stime=10)
    taken = accounting.snapshot({"postgres": [5, 6]}, tmp_path, 100)
    assert taken.pids == {"postgres": {5: 0.2}}
    assert accounting.process_cpu(6, tmp_path, 100) is None
