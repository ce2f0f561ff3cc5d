"""What bench.turns drives, for how long, and the targets it checks."""

DB_NAME = "ge_bench_turns"
LEVELS = (1, 8, 32)
TARGET_LEVEL = 8
# Engine / fair baseline at TARGET_LEVEL, by rate and by CPU per exchange (issue 14).
TARGET_RATIO = 0.75
# Engine own p99 at most this multiple of the fair exchange's own p99.
TARGET_P99_FACTOR = 1.5
# Engine CPU per exchange at 32 conversations within this of its figure at 8.
TARGET_SCALE = 0.10
# Row-level security costs the engine at most this, by rate and by CPU (issue 12).
RLS_LIMIT = 0.10
# Interleaving: each side gets ROUNDS slices per level, after one warm-up slice.
ROUNDS = 5
SLICE_SECONDS = 1.0
WARMUP_SECONDS = 1.0
# bench.http's engine-only figure (rig.drive) still runs one block of this length.
MEASURE_SECONDS = 5.0
EXCHANGES_PER_INTERVIEW = 6
TEACHERS = 9000
SCHOOLS = 40
WORKSPACE = "bench"
