"""Text cleaning at the edge: what is removed from messages, ids and names, and what is kept."""

from __future__ import annotations

import pytest

from core.cleaning import clean_id, clean_name, clean_text
from core.roster_csv import RosterRejected, StudentRow, parse_roster
from tests.hostile import FRAGMENTS, HUGE, hostile_texts

HEADER = "student_id,first_name,last_name,grade_level,date_of_birth,gender"


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("a\x00b", "ab"),
        ("x\ud800y\udfff", "xy"),
        ("\x1b[31mred\x07", "[31mred"),
        ("line one\nline two\ttab\r\n", "line one\nline two\ttab\r\n"),
        ("e\u0301", "é"),  # NFC
        ("\u202eשלום\u200b", "\u202eשלום\u200b"),  # bidi and zero-width stay in messages
        ("👩‍🏫 Liam ליאם", "👩‍🏫 Liam ליאם"),
    ],
)
def test_clean_text_removes_what_postgres_and_utf8_refuse_and_keeps_the_rest(
    dirty: str, clean: str
) -> None:
    assert clean_text(dirty) == clean


def test_every_hostile_text_cleans_to_utf8_that_postgres_accepts() -> None:
    for text in [*FRAGMENTS, *HUGE, *hostile_texts(1000)]:
        cleaned = clean_text(text)
        cleaned.encode("utf-8")  # no lone surrogate left
        assert "\x00" not in cleaned


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("\u202eLiam\u202c", "Liam"),
        ("Li\u200bam", "Liam"),
        ("\u2067נועה\u2069 \u200fכהן", "נועה כהן"),
        ("\ufeffOlivia  Brown\t", "Olivia Brown"),
        ("Zoë", "Zoë"),
    ],
)
def test_clean_name_strips_bidi_controls_and_zero_width_characters(dirty: str, clean: str) -> None:
    assert clean_name(dirty) == clean


def test_clean_id_is_one_clean_line() -> None:
    assert clean_id("U0\x00TEA\nCHER ") == "U0TEA CHER"
    assert clean_id(70001) == "70001"


def test_roster_names_lose_bidi_overrides_and_zero_width_characters_on_import() -> None:
    data = (
        f"{HEADER}\n"
        "S\u200b1,\u202eLiam\u202c,O'Brien\u200d,7,,\n"
        "S2,\u2066נועה\u2069,כהן\u200f,7,,\n"
    ).encode()
    rows = parse_roster(data).rows
    assert all(isinstance(row, StudentRow) for row in rows)
    assert [(r.student_id, r.first_name, r.last_name) for r in rows] == [  # type: ignore[union-attr]
        ("S1", "Liam", "O'Brien"),
        ("S2", "נועה", "כהן"),
    ]


def test_a_name_that_only_differs_by_an_invisible_character_is_a_duplicate() -> None:
    data = f"{HEADER}\nS1,Liam,Brown,7,,\nS\u200b1,Li\u200bam,Brown,7,,\n"
    with pytest.raises(RosterRejected) as caught:
        parse_roster(data.encode())
    assert any("duplicate student_id 'S1'" in e.reason for e in caught.value.errors)
