"""A name typed in the other script: `נוח` for Noah, `Yosef` for יוסף, as a regular expression.

Hebrew is written mostly without vowels and either script spells a sound several ways, so a
name does not transliterate to one spelling; it does to a pattern: each letter as the letters
that may stand for it, with vowels (Latin) or the letters that write vowels (Hebrew: אהויע)
free between them. The search tries it only when a query matched no name as written, and
against whole names, so a short skeleton may match several students; the caller then asks
which, as for any other query with several matches.
"""

from __future__ import annotations

import re

# Hebrew letters (folded: finals as regular letters, geresh removed) as the Latin they may be
# written with; `?` marks a letter that may be a vowel, written or not (ו as o/u, י as i/e).
HEBREW_AS_LATIN: dict[str, str] = {
    "א": "", "ע": "",
    "ב": "b|v", "ג": "g|j", "ד": "d", "ה": "h?", "ו": "v|w|o|u?", "ז": "z|j", "ח": "ch|kh|h",
    "ט": "t", "י": "y|i|e|j?", "כ": "k|c|ch|kh", "ל": "l", "מ": "m", "נ": "n", "ס": "s|c",
    "פ": "p|f|ph", "צ": "tz|ts|z|c|ch", "ק": "k|c|q|ck", "ר": "r", "ש": "sh|s", "ת": "t|th",
}  # fmt: skip
# Latin spellings (longest first) as the Hebrew letters they may stand for; vowels are free.
LATIN_AS_HEBREW: dict[str, str] = {
    "sh": "ש", "ch": "ח|כ|צ", "kh": "ח|כ", "th": "ת|ט", "ph": "פ", "tz": "צ", "ts": "צ",
    "ck": "ק", "b": "ב", "c": "ק|כ|ס|צ", "d": "ד", "f": "פ", "g": "ג", "h": "ה|ח?",
    "j": "ג|י|ז", "k": "כ|ק", "l": "ל", "m": "מ", "n": "נ", "p": "פ", "q": "ק", "r": "ר",
    "s": "ס|ש|ז", "t": "ט|ת", "v": "ב|ו", "w": "ו", "x": "קס", "y": "י?", "z": "ז|צ",
}  # fmt: skip
LATIN_VOWELS = "aeiou"
FREE_LATIN = "[aeiouyh]*"  # vowels and silent h (John) between the letters a Hebrew name spells
FREE_HEBREW = "[אהויע]*"  # the letters Hebrew writes vowels with, between the consonants
HEBREW_VOWEL_LETTERS = "אהויע"
HEBREW_VOWEL_START = "אע"
# Below this a skeleton of one or two letters matches too many names to be worth asking about.
MIN_LETTERS = 3


def _group(alternatives: str) -> str:
    """One letter's spellings as a group that may be doubled (`Hannah`, `Emma`)."""
    optional = alternatives.endswith("?")
    body = alternatives.rstrip("?")
    return f"(?:{body}){{0,2}}" if optional else f"(?:{body}){{1,2}}"


def _from_hebrew(word: str) -> str | None:
    if any(letter not in HEBREW_AS_LATIN for letter in word):
        return None
    parts = [_group(HEBREW_AS_LATIN[letter]) for letter in word if HEBREW_AS_LATIN[letter]]
    # A name that starts with a vowel is written from א or ע, one that ends with one in a
    # vowel letter: elsewhere the Latin starts or ends with the consonant (מיה is Mia, not
    # Emma), but for the silent e English adds (מייק: Mike).
    start = "[aeiouy]+" if word[0] in HEBREW_VOWEL_START else ""
    end = FREE_LATIN if word[-1] in HEBREW_VOWEL_LETTERS else "e?"
    return start + FREE_LATIN.join(parts) + end


def _from_latin(word: str) -> str | None:
    if not word.isascii() or not word.isalpha():
        return None
    word = re.sub(r"(.)\1+", r"\1", word)  # a doubled letter is one Hebrew letter
    parts, i = [], 0
    while i < len(word):
        if word[i] in LATIN_VOWELS:
            i += 1
            continue
        size = 2 if word[i : i + 2] in LATIN_AS_HEBREW else 1
        parts.append(_group(LATIN_AS_HEBREW[word[i : i + size]]))
        i += size
    # The same the other way: a vowel first is written from א, ע, ה or י; a vowel last, with
    # a vowel letter; a consonant first or last is that letter (Noam: נועם, not נעמה).
    start = f"[אעהי]{FREE_HEBREW}" if word[0] in LATIN_VOWELS else ""
    end = FREE_HEBREW if word[-1] in LATIN_VOWELS + "y" else ""
    return start + FREE_HEBREW.join(parts) + end


def across_scripts(folded: str) -> str | None:
    """An anchored pattern over folded names in the other script, written without their spaces,
    or None (a word of mixed scripts, digits, or too short to guess from). Of several words,
    each may be as typed or in the other script: names are written half in each (Ethan לוי).

    The query's words are joined without spaces too: `ge_fold` makes a hyphen a space, so
    `Ben-Zion`, `Ben Zion` and `BenZion` are one name, as בן-ציון (folded בנ ציונ) is."""
    words = folded.split()
    if not words or sum(len(w) for w in words) < MIN_LETTERS:
        return None
    patterns = [_in_the_other_script(w) for w in words]
    if any(p is None for p in patterns):
        return None
    if len(words) > 1:  # a name half in each script (Ethan לוי): each word as typed, too
        patterns = [f"(?:{re.escape(w)}|{p})" for w, p in zip(words, patterns, strict=True)]
    return "^" + "".join(p for p in patterns if p is not None) + "$"


def _in_the_other_script(word: str) -> str | None:
    """`word`'s pattern in the other script, or None for a word of mixed scripts or digits."""
    hebrew = all("\u05d0" <= letter <= "\u05ea" for letter in word)
    return (_from_hebrew if hebrew else _from_latin)(word)
