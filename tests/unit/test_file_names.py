"""File names say what a file holds and are safe everywhere (core/file_names.py)."""

from __future__ import annotations

from core.file_names import MAX_STEM_BYTES, file_name, name_part


def test_hebrew_stays_and_a_geresh_stays_a_geresh() -> None:
    assert file_name(["analyses", "DEMO-01", "class", "מתמטיקה ה'1"], "csv") == (
        "analyses-DEMO-01-class-מתמטיקה-ה׳1.csv"
    )


def test_slashes_quotes_control_and_bidi_characters_are_dropped() -> None:
    hostile = 'a/b\\c:"d"\x00e\x1b[31m\u202eגד„ה”*?<>|'
    part = name_part(hostile)
    assert part == "a-b-c-de31mגדה"
    assert not set(part) & set('/\\:"\'*?<>|\x00\x1b\u202e')


def test_dots_and_hyphens_never_begin_or_end_a_part() -> None:
    assert name_part("../..") == ""
    assert file_name(["..", "", "  "], "csv") == "file.csv"


def test_a_long_name_is_bounded_in_bytes() -> None:
    name = file_name(["analyses", "א" * 500, "ב" * 500, "2026-09-01-to-2027-08-31"], "csv")
    stem = name.removesuffix(".csv")
    assert len(stem.encode("utf-8")) <= MAX_STEM_BYTES
    assert name.endswith("2026-09-01-to-2027-08-31.csv")
