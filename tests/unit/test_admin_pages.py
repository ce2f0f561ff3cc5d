"""The next page of an admin list, as the command that shows it (bot/admin_pages.py)."""

from __future__ import annotations

from bot.admin_commands import parse, split
from bot.admin_pages import command_line, typed_a_command


def _next(line: str, more: dict[str, object]) -> str:
    spec, values = parse(split(line))
    return command_line(spec, values, more)


def test_the_page_option_is_replaced_and_the_rest_kept() -> None:
    assert _next("audit since 2020-01-01", {"before": "X"}) == "audit since 2020-01-01 --before X"
    assert _next("audit user a@b.co --before Y", {"before": "Z"}) == "audit user a@b.co --before Z"
    assert _next("user list DEMO-01 --page 2", {"page": 3}) == "user list DEMO-01 --page 3"
    assert _next("users", {"page": 2}) == "user list --page 2"


def test_a_name_of_several_words_stays_one_argument() -> None:
    line = _next("audit student Liam O'Brien", {"before": "X"})
    assert line == "audit student Liam O'Brien --before X"
    assert parse(split(line))[1] == {"student": "Liam O'Brien", "before": "X"}


def test_a_command_typed_is_told_from_words() -> None:
    assert typed_a_command("admin audit student Noah")
    assert typed_a_command("audit student Noah")
    assert typed_a_command("ניהול ביקורת student Noah")
    assert not typed_a_command("who looked at Noah's record?")
    assert not typed_a_command("")
