"""A summary's or an export's request as written: `[KIND [VALUE]] [PERIOD]`, and the ways a
grade is spelt. What it means in SQL, inside the actor's visibility, is core/scopes.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.errors import InvalidInput
from core.periods import Period, looks_like_period, parse_period
from core.text import nfc

KINDS = ("school", "district", "grade", "class", "teacher", "student")
# Hebrew grade letters and their numbers (א = 1 ... יב = 12): rosters store either, and people
# type either, with or without a geresh (ה, ה׳, ה').
_HEBREW_GRADES = ("א", "ב", "ג", "ד", "ה", "ו", "ז", "ח", "ט", "י", "יא", "יב")
NEEDS_VALUE = ("district", "grade", "class", "teacher", "student")
# English says a grade by its ordinal ("5th grade", "fifth grade") or its number in words.
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth", "tenth", "eleventh", "twelfth")  # fmt: skip
_NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "twelve")  # fmt: skip
_SUFFIXES = ("st", "nd", "rd", "th")


@dataclass(frozen=True)
class Scope:
    """A kind and its value as the user wrote it (`value` None: the actor's own school)."""

    kind: str = "school"
    value: str | None = None

    @property
    def key(self) -> str:
        """`kind` or `kind:value`, for audit rows."""
        return self.kind if self.value is None else f"{self.kind}:{self.value}"


# Words before a period word that are part of it ("last week", "next month").
_PERIOD_LEADS = frozenset({"this", "last", "next", "past", "previous", "current"})


def parse_request(argument: str, *, now: datetime) -> tuple[Scope, Period | None]:
    """`[KIND [VALUE]] [PERIOD]` (English keywords) into a scope and a period (None: no period)."""
    words = argument.split()
    period = None
    if words and looks_like_period(words[-1]):
        said = words.pop()
        if words and words[-1].lower() in _PERIOD_LEADS:  # "last week": quoted whole
            said = f"{words.pop()} {said}"
        period = parse_period(said, now=now)
    if not words:
        return Scope(), period
    if len(words) == 2 and words[1].lower() == "grade" and grade_number(words[0]) is not None:
        words = ["grade", str(grade_number(words[0]))]  # "5th grade", "fifth grade": grade 5
    kind = words[0].lower()
    if kind not in KINDS:
        raise InvalidInput("scope", f"“{words[0]}” is not one of {', '.join(KINDS)}")
    value = " ".join(words[1:]) or None
    if value is None and kind in NEEDS_VALUE:
        raise InvalidInput(kind, f"write which {kind} after “{kind}”")
    return Scope(kind, value), period


def grade_number(value: str) -> int | None:
    """The grade `value` spells ("5", "ה", "ה'", "ה׳" -> 5), or None when it spells none."""
    bare = nfc(value).strip().rstrip("'׳״\"")
    lowered = bare.lower()
    if lowered in _ORDINALS:
        return _ORDINALS.index(lowered) + 1
    if lowered in _NUMBERS:
        return _NUMBERS.index(lowered) + 1
    if lowered[-2:] in _SUFFIXES and lowered[:-2].isdecimal():
        bare = lowered[:-2]  # "5th"
    if bare.isdecimal() and 1 <= int(bare) <= len(_HEBREW_GRADES):
        return int(bare)
    if bare in _HEBREW_GRADES:
        return _HEBREW_GRADES.index(bare) + 1
    return None


def grade_spellings(value: str) -> list[str]:
    """Every way a roster may spell the grade `value` names: "5", "ה", "ה'", "ה׳"."""
    written = nfc(value).strip()
    number = grade_number(written)
    if number is None:
        return [written]
    letters = _HEBREW_GRADES[number - 1]
    forms = [written, str(number), letters, f"{letters}'", f"{letters}׳"]
    return list(dict.fromkeys(forms))
