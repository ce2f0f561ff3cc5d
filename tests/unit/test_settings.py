"""Settings: the documented names, defaults, and one clear line for a bad value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
NAMES = [
    "DATABASE_URL",
    "REDIS_URL",
    "DATA_DIR",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "TELEGRAM_WEBHOOK_SECRET",
    "HTTP_HOST",
    "HTTP_PORT",
    "DEFAULT_LANGUAGE",
]


def test_every_documented_variable_is_a_setting() -> None:
    assert set(NAMES) <= set(Settings.model_fields)


def test_defaults_need_no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(_env_file=None)
    assert settings.DATABASE_URL is None and settings.REDIS_URL is None
    assert settings.DATA_DIR == Path(".data") and settings.DEFAULT_LANGUAGE == "he"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HTTP_PORT", "eighty"),
        ("HTTP_PORT", "70000"),
        ("DEFAULT_LANGUAGE", "fr"),
        ("DATABASE_URL", "mysql://x"),
        ("REDIS_URL", "http://x"),
    ],
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    message = str(caught.value)
    assert name in message and "\n" not in message


def test_bad_value_fails_at_start_up_with_one_line() -> None:
    env = {**os.environ, "HTTP_PORT": "eighty"}
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "db", "current"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "HTTP_PORT" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [[], ["db"], ["db", "upgrade"], ["db", "downgrade"], ["db", "check"], ["seed-demo"], ["run"]],
)
def test_every_command_has_help(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "usage: growth-engine" in result.stdout
