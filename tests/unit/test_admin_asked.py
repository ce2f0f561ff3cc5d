"""An admin's requests in everyday words are read as the admin command each stands for, and a
sentence that is not one of them as no command at all."""

from __future__ import annotations

import pytest

from bot.admin_commands import parse, split
from bot.admin_grammar import HEBREW_ROLES
from bot.admin_words import ROLE_WORDS
from bot.asked_for import ADMIN_SAID
from bot.reading import read
from core.models import UserRole
from core.services.people import parse_role


def _command(text: str) -> str | None:
    """The admin command (without `admin`) an admin's `text` is read as, or None."""
    parsed = read(text, interviewing=False, awaiting_text=False, role=UserRole.ADMIN)
    return parsed.argument if parsed.verb == ADMIN_SAID else None


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("add a teacher named Ruth Cohen ruth@demo.school",
         "user add ruth@demo.school TEACHER Ruth Cohen"),
        ("Add a principal named Dan Levi dan@demo.school.",
         "user add dan@demo.school PRINCIPAL Dan Levi"),
        ("please add a new principal, Dan Levi (dan@demo.school)",
         "user add dan@demo.school PRINCIPAL Dan Levi"),
        ("can you create an admin account for Moshe Peretz, moshe@demo.school?",
         "user add moshe@demo.school ADMIN Moshe Peretz"),
        ("add Ruth Ann Cohen ruth@demo.school as a teacher to DEMO-01",
         'user add ruth@demo.school TEACHER "Ruth Ann" Cohen DEMO-01'),
        ("הוסף מורה רות כהן ruth@demo.school", "user add ruth@demo.school מורה רות כהן"),
        ("הוסף את רות כהן כמורה ruth@demo.school", "user add ruth@demo.school מורה רות כהן"),
        ("תוסיפי מנהלת חדשה בשם שרה לוי sara@demo.school",
         "user add sara@demo.school מנהלת שרה לוי"),
        ("הוסף מנהל מערכת דן לוי dan@demo.school", "user add dan@demo.school מנהל-מערכת דן לוי"),
    ],
)  # fmt: skip
def test_adding_a_person_in_words_is_user_add(text: str, command: str) -> None:
    assert _command(text) == command
    spec, values = parse(split(command))
    assert spec.words == ("user", "add") and values["email"] in command


@pytest.mark.parametrize(
    "text",
    [
        "add a teacher to my class",  # no address
        "add Ruth Cohen ruth@demo.school",  # no role
        "add a teacher ruth@demo.school and a principal dan@demo.school",  # two of each
        "add a teacher named Ruth Cohen ruth@demo.school from room 12b",  # not a name
        "I think we should add a teacher ruth@demo.school",  # a remark
    ],
)
def test_a_sentence_about_adding_someone_is_no_command(text: str) -> None:
    assert _command(text) is None


def test_every_role_word_is_written_as_a_role_the_command_reads() -> None:
    for written in ROLE_WORDS.values():
        assert parse_role(HEBREW_ROLES.get(written, written))


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("deactivate teacher2@demo.school", "user deactivate teacher2@demo.school"),
        ("please disable the account of teacher2@demo.school",
         "user deactivate teacher2@demo.school"),
        ("השבת את teacher2@demo.school", "user deactivate teacher2@demo.school"),
        ("reactivate teacher2@demo.school", "user reactivate teacher2@demo.school"),
        ("הפעל מחדש את המשתמש teacher2@demo.school", "user reactivate teacher2@demo.school"),
    ],
)  # fmt: skip
def test_switching_an_account_off_or_on_in_words_is_the_user_command(
    text: str, command: str
) -> None:
    assert _command(text) == command


@pytest.mark.parametrize(
    "text", ["deactivate", "deactivate teacher2@demo.school until June", "השבת את המורה דנה"]
)
def test_a_sentence_about_switching_an_account_is_no_command(text: str) -> None:
    assert _command(text) is None


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("how much did we spend this month?", "usage this-month"),
        ("how much does it cost?", "usage"),
        ("what's the cost so far?", "usage"),
        ("how much did we spend on the AI last month?", "usage last-month"),
        ("how much did we spend in 2026-10?", "usage 2026-10"),
        ("how much did we spend this year?", "usage this-year"),  # usage says: by the month
        ("כמה הוצאנו החודש?", "usage this-month"),
        ("כמה זה עלה לנו בחודש שעבר?", "usage last-month"),
        ("מה העלות עד עכשיו?", "usage"),
    ],
)
def test_asking_what_it_cost_is_usage(text: str, command: str) -> None:
    assert _command(text) == command


@pytest.mark.parametrize(
    "text", ["how much did we spend on pizza?", "how much does it cost to add a school?"]
)
def test_a_question_about_another_cost_is_no_command(text: str) -> None:
    parsed = read(text, interviewing=False, awaiting_text=False, role=UserRole.ADMIN)
    assert parsed.verb is None


def test_only_an_admin_is_read_asking_what_it_cost() -> None:
    for role in (UserRole.PRINCIPAL, UserRole.TEACHER):
        parsed = read("how much did we spend this month?", interviewing=False,
                      awaiting_text=False, role=role)  # fmt: skip
        assert parsed.verb is None


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("who looked at Noah's record?", "audit student Noah"),
        ("who saw Noah's analyses?", "audit student Noah"),
        ("who has seen the file of Liam O'Brien?", "audit student Liam O'Brien"),
        ("who looked at Noah Williams' record", "audit student Noah Williams"),
        ("who looked at Noah?", "audit student Noah"),
        ("מי צפה בתיק של נועה?", "audit student נועה"),
        ("מי ראה את הניתוחים של שירה גבאי", "audit student שירה גבאי"),
        ("מי פתחה את התיק של Noah", "audit student Noah"),
    ],
)
def test_asking_who_read_a_record_is_the_students_disclosure_log(text: str, command: str) -> None:
    assert _command(text) == command


@pytest.mark.parametrize(
    "text",
    ["who looked at it?", "who saw the flagged analyses?", "who looked at her record?",
     "who read my note", "מי צפה בתיק שלה?", "who saw that coming"],
)  # fmt: skip
def test_asking_who_read_something_of_no_one_named_is_no_command(text: str) -> None:
    assert _command(text) is None


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("deactivate ruth@demo.school please", "user deactivate ruth@demo.school"),
        ("add a teacher named Ruth Cohen ruth@demo.school, thanks",
         "user add ruth@demo.school TEACHER Ruth Cohen"),
        ("השבת את teacher2@demo.school בבקשה", "user deactivate teacher2@demo.school"),
    ],
)  # fmt: skip
def test_a_polite_word_after_the_request_changes_nothing(text: str, command: str) -> None:
    assert _command(text) == command
