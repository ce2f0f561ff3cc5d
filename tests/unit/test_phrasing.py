"""Commands said in everyday words are read as the command, and only then."""

import pytest

from bot.commands import read


@pytest.mark.parametrize(
    ("text", "verb", "argument"),
    [
        ("show my students", "students", ""),
        ("my students", "students", ""),
        ("תלמידים שלי", "students", ""),
        ("תראה לי את התלמידים שלי", "students", ""),
        ("please analyze Noa", "analyze", "Noa"),
        ("אני רוצה לנתח את נועה", "analyze", "נועה"),
        ("can you show the history of Noa?", "history", "Noa"),
        ("start an analysis of Noa", "analyze", "Noa"),
        ("export analyses please", "export", "analyses"),
        ("export my analyses this month", "export", "analyses this month"),
        ("ייצוא את כל הניתוחים", "export", "הניתוחים"),
        ("תן לי סיכום של בית הספר", "summary", "של בית הספר"),
        ("הסיכום", "summary", ""),
        ("help me", "help", ""),
    ],
)
def test_a_request_in_everyday_words_is_the_command_it_names(
    text: str, verb: str, argument: str
) -> None:
    parsed = read(text, interviewing=False, awaiting_text=False)
    assert (parsed.verb, parsed.argument) == (verb, argument)


@pytest.mark.parametrize("text", ["show and tell", "Noa", "I like her", "תודה", "the end"])
def test_words_without_a_command_word_stay_plain_text(text: str) -> None:
    assert read(text, interviewing=False, awaiting_text=False).verb is None


def test_start_alone_is_still_telegrams_first_message() -> None:
    assert read("start", interviewing=False, awaiting_text=False).verb == "start"


def test_a_note_keeps_its_closing_words() -> None:
    parsed = read("note she said thanks", interviewing=False, awaiting_text=False)
    assert (parsed.verb, parsed.argument) == ("note", "she said thanks")


@pytest.mark.parametrize("awaiting", [True, False])
def test_in_an_interview_or_a_text_awaited_the_words_are_the_teachers(awaiting: bool) -> None:
    parsed = read("please note he reads", interviewing=not awaiting, awaiting_text=awaiting)
    assert parsed.verb is None
