"""Commands said in everyday words are read as the command, and only then: requests, a
principal's questions, greetings and thanks, never in an interview or a text awaited."""

import pytest

from bot.asked_for import someone_named
from bot.reading import greeting, read, thanked
from core.models import UserRole


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


PRINCIPAL, TEACHER, ADMIN = UserRole.PRINCIPAL, UserRole.TEACHER, UserRole.ADMIN


@pytest.mark.parametrize(
    ("text", "verb", "argument"),
    [
        ("what's going on in the school?", "summary", "school"),
        ("How is the school doing?", "summary", "school"),
        ("hi, how's the school doing this month?", "summary", "school this-month"),
        ("מה קורה בבית הספר?", "summary", "school"),
        ('מה המצב בביה"ס?', "summary", "school"),
        ("how are my teachers doing?", "summary", "school"),
        ("מה שלום המורים?", "summary", "school"),
        ("how many analyses this month?", "summary", "school this-month"),
        ("how many analyses were done this year?", "summary", "school this-year"),
        ("כמה ניתוחים היו החודש?", "summary", "school this-month"),
        ("כמה ניתוחים נעשו השנה?", "summary", "school this-year"),
        ("how many analyses in grade 5?", "summary", "grade 5"),
        ("how many analyses by teacher Dana Levi", "summary", "teacher Dana Levi"),
        ("how was Liam doing last month?", "summary", "Liam last-month"),
        ("how was the school doing last term?", "summary", "school last-term"),
        ("who was flagged?", "flagged", ""),
        ("כמה ניתוחים היו בשכבה 5 החודש?", "summary", "grade 5 this-month"),
        ("how is Liam doing?", "summary", "Liam"),
        ("how's Liam O'Brien getting on this month?", "summary", "Liam O'Brien this-month"),
        ("how is grade 5 doing?", "summary", "grade 5"),
        ("מה שלום שירה?", "summary", "שירה"),
        ("מה שלומה של שירה גבאי השנה?", "summary", "שירה גבאי this-year"),
        ("איך שירה מתקדמת?", "summary", "שירה"),
        ("any flagged students?", "flagged", ""),
        ("are there flagged analyses?", "flagged", ""),
        ("יש תלמידים מסומנים?", "flagged", ""),
        ("אילו ניתוחים סומנו?", "flagged", ""),
        ("who is flagged?", "flagged", ""),
        # A period asked about as such: the school in that period.
        ("how was this week?", "summary", "school this-week"),
        ("what happened last week?", "summary", "school last-week"),
        ("how did we do last month?", "summary", "school last-month"),
        ("how did we do?", "summary", "school"),
        ("איך היה השבוע?", "summary", "school this-week"),
        ("מה היה בשבוע שעבר?", "summary", "school last-week"),
        ("how did grade 5 do this month?", "summary", "grade 5 this-month"),
        ("how did Liam do last term?", "summary", "Liam last-term"),
    ],
)
def test_a_principals_everyday_question_is_the_read_only_command_that_answers_it(
    text: str, verb: str, argument: str
) -> None:
    for role in (PRINCIPAL, ADMIN):
        parsed = read(text, interviewing=False, awaiting_text=False, role=role)
        assert (parsed.verb, parsed.argument) == (verb, argument)


@pytest.mark.parametrize(
    ("text", "verb", "argument"),
    [
        ("how is Liam doing?", "history", "Liam"),
        ("מה שלום שירה?", "history", "שירה"),
        ("how many analyses did I do this month?", "how_many", "this-month"),
        ("כמה ניתוחים עשיתי השנה?", "how_many", "this-year"),
        ("what's going on in the school?", "summary", "school"),  # told it is a principal's
        ("how is grade 5 doing?", None, "how is grade 5 doing?"),  # no student's history
        ("how many analyses in grade 5?", None, "how many analyses in grade 5?"),
    ],
)
def test_a_teacher_who_has_no_summary_gets_what_a_teacher_has(
    text: str, verb: str | None, argument: str
) -> None:
    parsed = read(text, interviewing=False, awaiting_text=False, role=TEACHER)
    assert (parsed.verb, parsed.argument) == (verb, argument)


@pytest.mark.parametrize(
    "text",
    [
        "מה שלומך?",  # a greeting, not a person
        "how are you?",
        "how is it going?",
        "how is she doing in class? she is doing well",
        "how is the weather",
        "how many analyses did Liam get?",
        "what's going on with the printer in the school?",
        "what happened?",  # no period named: about nothing the bot can summarise
        "how was it?",
        "how did you do that?",
    ],
)
def test_small_talk_and_other_questions_are_no_command(text: str) -> None:
    assert read(text, interviewing=False, awaiting_text=False, role=PRINCIPAL).verb is None


@pytest.mark.parametrize(
    "text",
    [
        "how is Liam doing?",
        "how many analyses this month?",
        "what's going on in the school?",
        "how was this week?",
        "any flagged students?",
        "hi",
        "thanks",
    ],
)
@pytest.mark.parametrize("awaiting", [True, False])
def test_everyday_questions_written_as_an_answer_or_a_note_stay_text(
    text: str, awaiting: bool
) -> None:
    for role in (TEACHER, PRINCIPAL):
        parsed = read(text, interviewing=not awaiting, awaiting_text=awaiting, role=role)
        assert parsed.verb is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hi", "hello"),
        ("Hello!", "hello"),
        ("hey there :)", "hello"),
        ("שלום", "hello"),
        ("שלום רב", "hello"),
        ("good morning", "morning"),
        ("בוקר טוב", "morning"),
        ("צהריים טובים", "afternoon"),
        ("ערב טוב", "evening"),
        ("good night", "night"),
        ("לילה טוב", "night"),
        ("how are you?", "well"),
        ("what's up", "well"),
        ("מה שלומך?", "well"),
        ("hi Liam", None),
        ("thanks", None),
    ],
)
def test_a_greeting_is_read_with_its_kind(text: str, kind: str | None) -> None:
    assert greeting(text) == kind


@pytest.mark.parametrize("text", ["thanks!", "Thank you very much", "תודה רבה", "ok thanks"])
def test_thanks_are_thanks(text: str) -> None:
    assert thanked(text)


@pytest.mark.parametrize(
    ("text", "argument"),
    [
        ("I want to talk about a student", ""),
        ("אני רוצה לדבר על תלמיד", ""),
        ("אני רוצה להתייעץ לגבי תלמידה שמתקשה בקריאה", ""),
        ("can we discuss Noa?", "Noa"),
        ("I want to talk about a student named Noa", "Noa"),
        ("I want to talk about Noah Williams", "Noah Williams"),
    ],
)
def test_a_teacher_who_wants_to_talk_about_a_student_asks_for_an_analysis(
    text: str, argument: str
) -> None:
    parsed = read(text, interviewing=False, awaiting_text=False, role=TEACHER)
    assert (parsed.verb, parsed.argument) == ("analyze", argument)


@pytest.mark.parametrize(
    "text",
    ["I want to talk about my class", "I want to talk about something", "אני רוצה לדבר על הכיתה",
     "I want to talk about how Noa is doing", "talk about"],
)  # fmt: skip
def test_a_talk_about_no_one_student_is_no_analysis(text: str) -> None:
    assert read(text, interviewing=False, awaiting_text=False, role=TEACHER).verb is None


@pytest.mark.parametrize(
    ("argument", "named"),
    [("a student", ""), ("one of my students", ""), ("תלמידה", ""), ("a student named Noa", "Noa"),
     ("תלמיד בשם נועם", "נועם"), ("Noa", "Noa"), ("Studentson", "Studentson")],
)  # fmt: skip
def test_analyze_a_student_not_named_yet_is_analyze_alone(argument: str, named: str) -> None:
    assert someone_named(argument) == named


def test_in_an_interview_a_talk_about_a_student_is_the_answer() -> None:
    parsed = read("I want to talk about a student", interviewing=True, awaiting_text=False)
    assert parsed.verb is None
