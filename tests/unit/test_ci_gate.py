"""The CI gate (.ci/lint, run by .ci/run) fails on a ruff finding or a mypy --strict error."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import ROOT

GATE = ROOT / ".ci" / "lint"


def _gate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(GATE), str(path)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_ci_runs_the_gate_before_the_tests() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert script.index("make lint") < script.index("make test")
    assert 'ruff" check .' in GATE.read_text() and 'mypy" --strict core bot' in GATE.read_text()


def test_the_gate_fails_on_a_ruff_finding(tmp_path: Path) -> None:
    bad = tmp_path / "unused_import.py"
    bad.write_text('"""A module."""\n\nimport os\n')
    result = _gate(bad)
    assert result.returncode != 0
    assert "F401" in result.stdout


def test_the_gate_fails_on_a_mypy_strict_error(tmp_path: Path) -> None:
    bad = tmp_path / "wrong_type.py"
    bad.write_text('"""A module."""\n\n\ndef name(n: int) -> str:\n    """One."""\n    return n\n')
    result = _gate(bad)
    assert result.returncode != 0
    assert "Incompatible return value type" in result.stdout


def test_the_gate_passes_a_clean_file(tmp_path: Path) -> None:
    good = tmp_path / "fine.py"
    good.write_text(
        '"""A module."""\n\n\ndef name(n: int) -> str:\n    """One."""\n    return str(n)\n'
    )
    result = _gate(good)
    assert result.returncode == 0, result.stdout + result.stderr
