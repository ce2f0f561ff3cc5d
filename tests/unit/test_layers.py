"""The layering contracts in `.importlinter` hold, and the check really fails on a bad tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".importlinter"
LINT = Path(sys.executable).with_name("lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` with the project's contracts on the packages under `tree`."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT), "--config", str(CONFIG), "--no-cache"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_bot_and_core_keep_to_their_layers() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def _tree(root: Path, modules: dict[str, str]) -> Path:
    for name, source in modules.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return root


def test_the_check_fails_when_bot_imports_an_adapter(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {
        "core/__init__.py": "",
        "core/policy.py": "",
        "bot/__init__.py": "",
        "bot/handlers.py": "from core import policy\nfrom adapters.settings import Settings\n",
        "adapters/__init__.py": "",
        "adapters/settings.py": "from bot import handlers\nSettings = object\n",
    })  # fmt: skip
    result = lint(tree)
    assert result.returncode != 0, result.stdout
    assert "adapters above bot above core BROKEN" in result.stdout
    assert "bot.handlers -> adapters.settings" in result.stdout


def test_the_check_fails_when_core_imports_the_dialogue(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {
        "core/__init__.py": "",
        "core/policy.py": "import bot.render\n",
        "bot/__init__.py": "",
        "bot/render.py": "",
        "adapters/__init__.py": "",
    })  # fmt: skip
    result = lint(tree)
    assert result.returncode != 0, result.stdout
    assert "core.policy -> bot.render" in result.stdout


def test_the_config_is_where_the_test_reads_it() -> None:
    assert shutil.which(str(LINT)) and CONFIG.is_file()
