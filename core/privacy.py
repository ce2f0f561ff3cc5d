"""Pseudonymisation of teacher text before it reaches a model, and restoring names afterwards."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date

STUDENT_PLACEHOLDER = "Student A"
FAMILY_PLACEHOLDER = "Student A's family"
EMAIL_PLACEHOLDER = "[email]"
PHONE_PLACEHOLDER = "[phone]"
ID_PLACEHOLDER = "[id]"
DATE_PLACEHOLDER = "[date]"

# Niqqud and cantillation are combining marks; maqaf (05BE), paseq (05C0), sof pasuq (05C3)
# and nun hafukha (05C6) sit in the same block but are punctuation, so they are not skipped.
_MARK = "[\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7]"
_MARK_RE = re.compile(_MARK)
_FINALS = {"ך": "כ", "ם": "מ", "ן": "נ", "ף": "פ", "ץ": "צ"}
_FINALS.update({v: k for k, v in _FINALS.items()})
_APOSTROPHES = "'\u05f3\u2019\u02bc`"
_HYPHENS = "-\u05be\u2010\u2011\u2013"
# Hebrew prepositions/conjunctions glued to a word: "ולדוד", "שדוד", "וכשדוד".
_PREFIX = f"(?:[והבלמשכ]{_MARK}*){{0,3}}"
# A name is a whole word: never preceded by a letter, digit or mark (other than a glued
# Hebrew prefix), never followed by one. "דן" matches "ודן" and "דן's" but not "דני".
_BEFORE = r"(?<![\w\u0591-\u05c7])"
_AFTER = r"(?![\w\u0591-\u05c7])"

_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SEP = r"[\s.\-]?"
_PHONE_RES = (
    # Israeli mobile/landline, local or with the 972 country code: 054-123-4567, +972 54 1234567.
    re.compile(
        rf"(?<![\w+])(?:\+?972{_SEP}(?:\(0\){_SEP}|0)?|0)(?:5\d|7\d|[2-489])"
        rf"{_SEP}\d{{3}}{_SEP}\d{{4}}(?!\d)"
    ),
    # Generic international: + or 00, country code, optional (area), then digit groups.
    re.compile(
        rf"(?<![\w+])(?:\+|00)\d{{1,3}}{_SEP}(?:\(\d{{1,4}}\){_SEP})?\d{{1,5}}"
        rf"(?:{_SEP}\d{{1,5}}){{1,5}}(?!\d)"
    ),
    # North-American style: (555) 123-4567, 555-123-4567.
    re.compile(r"(?<![\w(])\(?\d{3}\)?[\s.\-]\d{3}[\s.\-]\d{4}(?!\d)"),
)
# A bare nine-digit number is almost always an Israeli ID (someone's, if not the student's).
_GENERIC_ID_RE = re.compile(r"(?<![\d\w])\d{9}(?![\d\w])")

_MONTHS: dict[int, tuple[str, ...]] = {
    1: ("January", "Jan", "ינואר"),
    2: ("February", "Feb", "פברואר"),
    3: ("March", "Mar", "מרץ", "מרס"),
    4: ("April", "Apr", "אפריל"),
    5: ("May", "מאי"),
    6: ("June", "Jun", "יוני"),
    7: ("July", "Jul", "יולי"),
    8: ("August", "Aug", "אוגוסט"),
    9: ("September", "Sept", "Sep", "ספטמבר"),
    10: ("October", "Oct", "אוקטובר"),
    11: ("November", "Nov", "נובמבר"),
    12: ("December", "Dec", "דצמבר"),
}


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _strip_marks(text: str) -> str:
    return _MARK_RE.sub("", _nfc(text)).strip()


def _char_pattern(ch: str) -> str:
    if ch in _FINALS:
        return f"[{ch}{_FINALS[ch]}]{_MARK}*"
    if "\u05d0" <= ch <= "\u05ea":
        return f"{ch}{_MARK}*"
    if ch in _APOSTROPHES:
        return f"[{re.escape(_APOSTROPHES)}]"
    if ch in _HYPHENS:
        return rf"(?:\s*[{re.escape(_HYPHENS)}]\s*|\s+)"
    if ch.isspace():
        return r"\s+"
    return re.escape(ch)


def _name_pattern(name: str) -> str:
    return "".join(_char_pattern(ch) for ch in re.sub(r"\s+", " ", name))


def _variants(names: Iterable[str]) -> list[str]:
    """Each spelling, plus the parts of a hyphenated or multi-word name (parts of 2+ letters)."""
    found: list[str] = []
    for raw in names:
        name = _strip_marks(raw)
        if not name:
            continue
        found.append(name)
        for part in re.split(rf"[\s{re.escape(_HYPHENS)}]+", name):
            if len(part) >= 2:
                found.append(part)
    return list(dict.fromkeys(found))


def _alternation(names: Iterable[str]) -> str:
    # Longest first, so "Cohen-Levi" wins over "Cohen" at the same position.
    ordered = sorted(set(names), key=len, reverse=True)
    return "|".join(_name_pattern(n) for n in ordered)


def _id_pattern(student_id: str) -> re.Pattern[str]:
    compact = re.sub(r"[\s.\-]", "", student_id)
    if compact.isdigit():
        digits = compact.lstrip("0") or "0"
        # Leading zeros are often dropped, and IDs are written "12345678-9" or in groups.
        body = r"[\s.\-]?".join(digits)
        return re.compile(rf"(?<![\d\w])0*{body}(?![\d\w])")
    return re.compile(rf"(?<![\w]){re.escape(student_id.strip())}(?![\w])", re.IGNORECASE)


def _date_pattern(dob: date) -> re.Pattern[str]:
    d, m, y = dob.day, dob.month, dob.year
    day = rf"0?{d}"
    month = rf"0?{m}"
    year = rf"(?:{y}|{y % 100:02d})"
    sep = r"\s*[./\-]\s*"
    months = "|".join(re.escape(name) for name in _MONTHS[m])
    forms = [
        rf"{y}{sep}{month}{sep}{day}",  # 2014-03-05
        rf"{day}{sep}{month}{sep}{year}",  # 05/03/2014, 5.3.2014, 5.3.14
        rf"{month}{sep}{day}{sep}{year}",  # US order 03/05/2014: still the same birthday
        rf"{day}(?:st|nd|rd|th)?\s+(?:ב|ל)?(?:{months})\.?,?\s+{y}",  # 5 March 2014, 5 במרץ 2014
        rf"(?:{months})\.?\s+{day}(?:st|nd|rd|th)?,?\s+{y}",  # March 5, 2014
    ]
    return re.compile(rf"(?<![\d\w])(?:{'|'.join(forms)})(?![\d\w])", re.IGNORECASE)


class Pseudonymizer:
    """Replaces one student's identifying details with placeholders, and restores the name."""

    def __init__(
        self,
        first_name: str,
        last_name: str,
        *,
        student_id: str | None = None,
        date_of_birth: date | None = None,
        first_name_spellings: Sequence[str] = (),
        last_name_spellings: Sequence[str] = (),
    ) -> None:
        self.display_name = _nfc(first_name).strip()
        self.last_name = _nfc(last_name).strip()
        firsts = _variants([first_name, *first_name_spellings])
        lasts = _variants([last_name, *last_name_spellings])
        whole_firsts = [_strip_marks(n) for n in (first_name, *first_name_spellings) if n.strip()]
        whole_lasts = [_strip_marks(n) for n in (last_name, *last_name_spellings) if n.strip()]
        fulls = [f"{a} {b}" for a in whole_firsts for b in whole_lasts]
        fulls += [f"{b} {a}" for a in whole_firsts for b in whole_lasts]  # school lists: "כהן דוד"
        groups = [
            f"(?P<full>{_alternation(fulls)})" if fulls else "",
            f"(?P<first>{_alternation(firsts)})" if firsts else "",
            f"(?P<last>{_alternation(lasts)})" if lasts else "",
        ]
        names = "|".join(g for g in groups if g)
        self._name_re = (
            re.compile(rf"{_BEFORE}(?P<prefix>{_PREFIX})(?:{names}){_MARK}*{_AFTER}", re.IGNORECASE)
            if names
            else None
        )
        self._id_re = _id_pattern(student_id) if student_id and student_id.strip() else None
        self._date_re = _date_pattern(date_of_birth) if date_of_birth else None

    def redact(self, text: str) -> str:
        """Return `text` (NFC) with names, ID, birth date, emails and phones replaced."""
        text = _nfc(text)
        # Emails first: an address like david.cohen@… must vanish whole, not half-renamed.
        text = _EMAIL_RE.sub(EMAIL_PLACEHOLDER, text)
        if self._date_re is not None:
            text = self._date_re.sub(DATE_PLACEHOLDER, text)
        if self._id_re is not None:
            text = self._id_re.sub(ID_PLACEHOLDER, text)
        for phone_re in _PHONE_RES:
            text = phone_re.sub(_phone_or_keep, text)
        text = _GENERIC_ID_RE.sub(ID_PLACEHOLDER, text)
        if self._name_re is not None:
            text = self._name_re.sub(_name_replacement, text)
        return text

    def restore(self, text: str) -> str:
        """Put the student's names back into model output meant for the teacher."""
        text = _nfc(text)
        text = _FAMILY_RE.sub(lambda _m: self.last_name, text)
        return _STUDENT_RE.sub(lambda _m: self.display_name, text)


# A glued Hebrew prefix may precede a placeholder ("לStudent A"), a Latin letter may not.
_FAMILY_RE = re.compile(rf"(?<![A-Za-z]){re.escape(FAMILY_PLACEHOLDER)}(?![A-Za-z0-9])")
_STUDENT_RE = re.compile(r"(?<![A-Za-z])[Ss]tudent A(?![A-Za-z0-9])")


def _name_replacement(match: re.Match[str]) -> str:
    placeholder = FAMILY_PLACEHOLDER if match.groupdict().get("last") else STUDENT_PLACEHOLDER
    return match.group("prefix") + placeholder


def _phone_or_keep(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    # Fewer than 8 digits is a count or a score, not a phone; longer runs are redacted anyway.
    return PHONE_PLACEHOLDER if digits >= 8 else match.group(0)
