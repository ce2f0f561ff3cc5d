"""Migration 0008's table of niqqud and accent weights is ICU's, recomputed here from ICU."""

from __future__ import annotations

import importlib
import unicodedata

import icu

MIGRATION = importlib.import_module("migrations.versions.0008_name_order")


def _elements(text: str) -> list[tuple[int, int, int]]:
    collator = icu.Collator.createInstance(icu.Locale("he"))
    it = collator.createCollationElementIterator(text)
    out = []
    while (order := it.next()) != icu.CollationElementIterator.NULLORDER:
        out.append((order >> 16, (order >> 8) & 0xFF, order & 0xFF))
    return out


def _icu_groups() -> tuple[list[str], str]:
    """Combining marks grouped by ascending secondary weight, and those ICU ignores."""
    codes = [*range(0x0300, 0x0363), *range(0x0591, 0x05C8)]
    marks = [chr(c) for c in codes if unicodedata.category(chr(c)) == "Mn" and c != 0x05BE]
    groups: dict[tuple[int, ...], str] = {}
    ignored = ""
    for mark in marks:
        elements = _elements(mark)
        if all(p == 0 and s == 0 for p, s, _ in elements):
            ignored += mark
        elif all(p == 0 for p, _, _ in elements) and (
            len(elements) == 1 or elements[1][2] == 0xC0  # one weight, maybe continued
        ):
            groups[tuple(s for _, s, _ in elements)] = (
                groups.get(tuple(s for _, s, _ in elements), "") + mark
            )
    return [groups[k] for k in sorted(groups)], ignored


def test_secondary_weight_groups_are_icus() -> None:
    groups, ignored = _icu_groups()
    assert list(MIGRATION.SECONDARY_GROUPS) == groups
    assert MIGRATION.IGNORED_MARKS == ignored


def test_unmarked_letters_sort_before_marked_ones_and_finals_after_regular() -> None:
    collator = icu.Collator.createInstance(icu.Locale("he"))
    assert collator.compare("דוד", "דָּוִד") < 0
    assert collator.compare("כ", "ך") < 0
    assert collator.compare("a", "A") < 0
