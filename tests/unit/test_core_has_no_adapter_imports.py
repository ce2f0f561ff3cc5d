"""Dependencies point inward: nothing under core/ imports a chat, AI, HTTP or Redis library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "core"
FORBIDDEN = frozenset(
    {"telegram", "slack_bolt", "slack_sdk", "openai", "aiohttp", "redis", "adapters", "bot"}
)
DYNAMIC_IMPORTERS = frozenset({"import_module", "__import__"})


def forbidden_imports(source: str, filename: str = "<string>") -> list[str]:
    """`line: module` for every import of a forbidden top-level package in `source`."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0] if node.args else None
            if (
                called in DYNAMIC_IMPORTERS
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                names = [first.value]
        found += [f"{node.lineno}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    return found


def _core_files() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def test_core_has_python_files_to_check() -> None:
    assert CORE.is_dir()
    assert any(p.name == "policy.py" for p in _core_files())


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: str(p.relative_to(CORE.parent)))
def test_core_module_imports_no_adapter_or_vendor_package(path: Path) -> None:
    assert forbidden_imports(path.read_text(encoding="utf-8"), str(path)) == []


@pytest.mark.parametrize(
    "source",
    [
        "import telegram",
        "import slack_sdk.web",
        "from slack_bolt.async_app import AsyncApp",
        "import openai as ai",
        "from aiohttp import web",
        "import redis.asyncio",
        "from adapters.settings import load_settings",
        "import bot.handlers",
        "def f():\n    import adapters.embedded",
        "import importlib\nimportlib.import_module('adapters.cli')",
        "__import__('redis')",
    ],
)
def test_the_scanner_catches_every_kind_of_forbidden_import(source: str) -> None:
    assert forbidden_imports(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "import sqlalchemy",
        "from core.models import Student",
        "from . import policy",
        "from .bot import thing",
        "import botocore",
        "import redistools",
        "import openai_compat_shim",
    ],
)
def test_the_scanner_allows_inward_and_unrelated_imports(source: str) -> None:
    assert forbidden_imports(source) == []
