"""Benchmarks, run by `make bench-*`; each prints ratios to a baseline measured in the same run."""

from pathlib import Path

# The repository root: the working directory of the fakes' child processes, and what the
# profile counts as our code.
ROOT = Path(__file__).resolve().parent.parent
