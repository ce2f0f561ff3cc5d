"""Every admin command's line in the help says what it does, in each language."""

from __future__ import annotations

import pytest

from bot.admin_commands import SPECS
from bot.admin_grammar import UsageError, usage_text
from bot.i18n import LANGUAGES, t


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_admin_command_is_explained_beside_its_syntax(language: str) -> None:
    lines = usage_text(UsageError(SPECS), lambda key, **v: t(language, key, **v)).splitlines()
    assert len(lines) == len(SPECS) + 1
    for spec, line in zip(SPECS, lines[1:], strict=True):
        syntax, _, what = line.partition(" — ")
        assert syntax == spec.usage
        assert what.strip()


def test_the_hebrew_explanations_are_hebrew() -> None:
    for spec in SPECS:
        he, en = (t(language, spec.what) for language in ("he", "en"))
        assert any("\u05d0" <= c <= "\u05ea" for c in he), spec.usage
        assert he != en
