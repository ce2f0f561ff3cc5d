"""Every word and button a reply offers does what the reply said, in both languages, per role.

The words are read off the replies themselves (the help list's first word on each line, the
review menu's words, the buttons), never from the vocabulary table, so a reply that offers a
word the parser does not read fails here.
"""

from __future__ import annotations

import re

import pytest

from bot.events import Reply
from bot.i18n import CATALOGUE, keys, plural_keys, sentence
from tests.dialogue_fixtures import Chat
from tests.fakes.openai_server import FakeOpenAI

LANGUAGES = ("he", "en")
ROLES = ("teacher1", "principal", "admin")
# What a command typed alone, with nothing else going on, answers (catalogue keys).
ALONE = {
    "analyze": ("analyze_ask",),
    "students": ("students_title", "students_title_school", "students_title_all", "no_students"),
    "history": ("history_ask",),
    "resume": ("nothing_to_resume",),
    "retry": ("nothing_to_retry",),
    "note": ("note_usage", "note_ask"),
    "summary": ("summary_title",),
    "flagged": ("flagged_none", "flagged_title"),
    "reviewed": ("reviewed_usage",),
    "export": ("export_usage", "export_done"),  # a bare export exports the analyses (1bab6de)
    "admin": ("admin_help",),
    "cancel": ("nothing_to_cancel",),
    "finish": ("nothing_to_finish",),
    "lang": ("lang_bad",),
    "help": ("help_teacher", "help_principal", "help_admin"),
}


def says(reply: Reply, *wanted: str) -> bool:
    """True when the reply's text is one of the catalogue sentences `wanted` (any language)."""
    for key in wanted:
        for language in LANGUAGES:
            if key not in keys(language):
                continue
            counts = (1, 2, 5) if key in plural_keys(language) else (None,)
            for count in counts:  # each plural form of a sentence with a number in it
                parts = re.split(r"\{[^{}]*\}", sentence(language, key, count))
                pattern = ".*?".join(re.escape(part) for part in parts)
                if re.match(pattern, reply.text, re.DOTALL):
                    return True
    return False


def help_words(reply: Reply) -> list[str]:
    """The command words the help list offers: the first word of each `•` line."""
    return [line[2:].split()[0] for line in reply.text.splitlines() if line.startswith("• ")]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
async def test_every_command_the_help_offers_runs_typed_alone_and_has_its_own_help(
    chat: Chat, role: str, language: str
) -> None:
    person = Chat(chat.engine, user=role)
    await person.say(f"lang {language}")
    [listing] = await person.say("help")
    words = help_words(listing)
    assert len(words) >= 4, listing.text
    for word in words:
        [explained] = await person.say(f"help {word}")
        assert not says(explained, "help_unknown"), (word, explained.text)
        assert explained.text.startswith(word), (word, explained.text)
        replies = await person.say(word)
        verbs = [verb for verb, wanted in ALONE.items() if says(replies[0], *wanted)]
        assert verbs, (role, language, word, replies[0].text)
        assert not says(replies[0], "role_refused"), (role, word)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_every_review_word_number_and_button_does_what_the_menu_says(
    chat: Chat, fake_ai: FakeOpenAI, language: str
) -> None:
    expected = {  # what each action answers, while the review stays open
        "edit": ("edit_which",),
        "flag": ("flagged",),
        "note": ("note_prompt",),
    }
    await chat.say(f"lang {language}")
    await chat.say("analyze Liam")
    await chat.say("He reads well.")
    replies = await chat.say(sentence(language, "finish_button"))  # the button's own label
    review = replies[-1]
    menu_line = review.text.splitlines()[-1]
    assert says(Reply(menu_line), "in_review")
    words = re.findall(r"[\w\u0590-\u05ff]+", menu_line.split("(")[0])[1:]  # after "Write"
    offered = [w for w in words if w not in ("or", "או")]
    assert len(offered) == 5, offered
    for word, action in zip(offered, ("save", "edit", "flag", "note", "discard"), strict=True):
        if action in expected:
            [answer] = await chat.say(word)
            assert says(answer, *expected[action]), (word, answer.text)
            await chat.say("resume")  # back to the menu, dropping what the action waits for
    # Each button, pressed and by its number, answers what its label says.
    for number, button in enumerate(review.buttons, 1):
        action = button.action.split(":")[0]
        if action not in expected and action != "edit":
            continue
        for way in ({"action": button.action}, {"text": str(number)}):
            [answer] = await chat.say(**way)
            wanted = ("edit_prompt",) if button.action.startswith("edit:") else expected[action]
            assert says(answer, *wanted), (button, way, answer.text)
            await chat.say("resume")
    [saved] = await chat.say(offered[0])
    assert says(saved, "saved")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_interview_help_and_offers_name_words_that_work(
    chat: Chat, fake_ai: FakeOpenAI, language: str
) -> None:
    await chat.say(f"lang {language}")
    await chat.say("analyze Liam")
    [explained, question] = await chat.say("help")
    assert says(explained, "help_interview") and question.buttons
    # finish, cancel and /students, each filled in from the vocabulary table
    assert CATALOGUE[language]["help_interview"].count("{w_") == 3
    [mean] = await chat.say("students" if language == "en" else "תלמידים")
    assert says(mean, "did_you_mean") and len(mean.buttons) == 2
    replies = await chat.say(action=mean.buttons[0].action)
    assert says(replies[0], "students_title") and replies[-1].buttons  # then the question
    [cancelled] = await chat.say("cancel" if language == "en" else "ביטול")
    assert says(cancelled, "cancelled")
    [greeted] = await chat.say("hello" if language == "en" else "שלום")
    assert says(greeted, "greet_hello"), greeted.text  # a cancelled analysis is not offered
