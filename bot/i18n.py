"""Every user-facing sentence, from the gettext catalogues in `bot/locale/*.po`.

The `.po` files are compiled with Babel when this module is imported (no build step to
forget); `t` fills in values, and `{w_VERB}`, `{s_KIND}`, `{p_PERIOD}` with the word the
vocabulary offers in that language, so a sentence that names a word names one the parser reads.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path
from string import Formatter
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LRI, PDI = "\u2066", "\u2069"  # isolate Latin names inside right-to-left Hebrew text
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("he", "en")
FALLBACK = "he"
# Placeholders filled from the vocabulary: a verb, a summary's scope kind, a named period.
WORD_PREFIXES = ("w_", "s_", "p_")


@cache
def translations(language: str) -> gettext.GNUTranslations:
    """The compiled catalogue of `language` (Hebrew for a language we do not have)."""
    code = language if language in LANGUAGES else FALLBACK
    with (LOCALE_DIR / f"{code}.po").open("rb") as source:
        catalog = read_po(source, locale=code)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@cache
def keys(language: str) -> frozenset[str]:
    """Every sentence key of `language`'s catalogue."""
    with (LOCALE_DIR / f"{language}.po").open("rb") as source:
        catalog = read_po(source, locale=language)
    found: set[str] = set()
    for message in catalog:
        if message.id:
            found.add(str(message.id[0] if isinstance(message.id, tuple) else message.id))
    return frozenset(found)


@cache
def plural_keys(language: str) -> frozenset[str]:
    """The keys of `language`'s catalogue that have plural forms (they need a count)."""
    with (LOCALE_DIR / f"{language}.po").open("rb") as source:
        catalog = read_po(source, locale=language)
    return frozenset(str(m.id[0]) for m in catalog if m.id and isinstance(m.id, tuple))


def sentence(language: str, key: str, count: int | None = None) -> str:
    """The raw sentence `key` (the plural form for `count`); KeyError for an unknown key, or for
    a plural sentence asked for without its count (its first form would be wrong for 0 or 5)."""
    code = language if language in LANGUAGES else FALLBACK
    if key not in keys(code):
        raise KeyError(key)
    catalogue = translations(code)
    if count is None:
        if key in plural_keys(code):
            raise KeyError(f"{key} has plural forms: use tn() with the count")
        return catalogue.gettext(key)
    return catalogue.ngettext(key, key, count)


def _fill(language: str, text: str, values: dict[str, Any]) -> str:
    from bot.commands import offered  # the vocabulary imports nothing from here

    wanted = {name for _, name, _, _ in Formatter().parse(text) if name}
    words = {
        name: offered(language, name)
        for name in wanted
        if name.startswith(WORD_PREFIXES) and name not in values
    }
    return text.format(**words, **values)


def t(language: str, key: str, **values: Any) -> str:
    """The sentence `key` in `language` (falls back to Hebrew), with `values` filled in."""
    return _fill(language, sentence(language, key), values)


def tn(language: str, key: str, count: int, **values: Any) -> str:
    """The plural form of `key` that fits `count` (`count` is also a value)."""
    return _fill(language, sentence(language, key, count), {"count": count, **values})


def isolate(text: str) -> str:
    """Wrap a name so mixed Hebrew/English renders in the right order inside RTL text."""
    return f"{LRI}{text}{PDI}" if any("a" <= c.lower() <= "z" for c in text) else text


def _raw(language: str) -> dict[str, str]:
    catalogue = translations(language)
    return {key: catalogue.gettext(key) for key in sorted(keys(language))}


# Read-only view of the raw sentences (values unfilled), for tests that compare replies.
CATALOGUE: dict[str, dict[str, str]] = {language: _raw(language) for language in LANGUAGES}
