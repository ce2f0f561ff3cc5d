"""Every user-facing sentence, from the gettext catalogues in `bot/locale/*.po`.

The `.po` files are compiled with Babel when this module is imported (no build step to
forget); `t` fills in values, and `{w_VERB}` with the word the vocabulary offers for VERB in
that language (`{s_KIND}`, `{p_PERIOD}`, `{x_WHAT}` for scopes, periods and what `export`
exports), so a sentence that names a command names one the parser reads.
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
    """The keys of `language`'s catalogue that have plural forms (read with `tn`)."""
    with (LOCALE_DIR / f"{language}.po").open("rb") as source:
        catalog = read_po(source, locale=language)
    return frozenset(str(m.id[0]) for m in catalog if m.id and isinstance(m.id, tuple))


def sentence(language: str, key: str, count: int | None = None) -> str:
    """The raw sentence `key` (the plural form for `count`); KeyError for an unknown key.

    A plural sentence needs its count: without one, gettext would quietly give the first form
    ("1 analysis" for any number).
    """
    code = language if language in LANGUAGES else FALLBACK
    if key not in keys(code):
        raise KeyError(key)
    if count is None and key in plural_keys(code):
        raise KeyError(f"{key} has plural forms: use tn() with the count")
    catalogue = translations(code)
    return catalogue.gettext(key) if count is None else catalogue.ngettext(key, key, count)


def _fill(language: str, text: str, values: dict[str, Any]) -> str:
    from bot.request_words import offered  # the vocabulary imports nothing from here

    wanted = {name for _, name, _, _ in Formatter().parse(text) if name and name not in values}
    words = {name: offered(language, name) for name in wanted}
    numbers = {k: grouped(v) for k, v in values.items() if type(v) is int}  # not a bool
    filled = {**values, **numbers}
    return text.format(**{k: v for k, v in words.items() if v is not None}, **filled)


def t(language: str, key: str, **values: Any) -> str:
    """The sentence `key` in `language` (falls back to Hebrew), with `values` filled in."""
    return _fill(language, sentence(language, key), values)


def tn(language: str, key: str, count: int, **values: Any) -> str:
    """The plural form of `key` that fits `count` (`count` is also a value)."""
    return _fill(language, sentence(language, key, count), {"count": count, **values})


def isolate(text: str) -> str:
    """Wrap a name so mixed Hebrew/English renders in the right order inside RTL text."""
    return f"{LRI}{text}{PDI}" if any("a" <= c.lower() <= "z" for c in text) else text


def grouped(n: int) -> str:
    """A count as every reply writes it, in both languages: thousands apart ("12,793")."""
    return f"{n:,}"


def money(cost: float) -> str:
    """Dollars as every reply shows them: three decimals under $10 (cents hide a small spend)."""
    return f"{cost:,.2f}" if cost >= 10 else f"{cost:.3f}"


def _raw(language: str) -> dict[str, str]:
    # A plural sentence is shown in its "other" form (the one with the number in it).
    return {
        key: sentence(language, key, 5 if key in plural_keys(language) else None)
        for key in sorted(keys(language))
    }


# Read-only view of the raw sentences (values unfilled), for tests that compare replies.
CATALOGUE: dict[str, dict[str, str]] = {language: _raw(language) for language in LANGUAGES}
