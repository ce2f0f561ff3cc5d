"""A crawler: every button and every command word any reply offers, pressed or typed right where
it was offered, for each role and in both languages, answers what the offer said.

Each role walks a conversation through the places that offer something (help, the choice of a
student, the interview, did-you-mean, the review and its sections, history, notes, the resume
offer, flagged analyses, retention). After every step the rows the conversation is made of are
kept; then each button of each reply is pressed, and each command word its sentences name
(read off the reply text against the catalogue, never from the vocabulary table) is typed, each
time from the kept rows. The first answer must be one the offer promised: the catalogue keys
in EXPECTED for that verb, not a fallback (the help list, the menu again, a refusal).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
import pytest

from bot.commands import WORDS, word
from bot.events import Reply
from bot.i18n import keys, plural_keys, sentence
from tests.dialogue_fixtures import Chat
from tests.fakes.openai_server import FakeOpenAI
from tests.service_fixtures import copy_rows

LANGUAGES = ("he", "en")
# The rows a conversation is made of, restored before each probe (test_dialogue_states does so).
KEPT = ("analyses", "analysis_conversations", "dialogue_states")
QUESTION = "<question>"  # an interview question (it carries the Finish button)
REVIEW = "<review>"  # the analysis with the review menu
# What each verb may answer when it does what it says (catalogue keys, or the two above).
EXPECTED: dict[str, tuple[str, ...]] = {
    "analyze": ("analyze_ask", "started", "choose", "role_refused", "analyze_not_yours"),
    "students": (
        "students_title",
        "students_title_school",
        "students_title_all",
        "no_students",
        "did_you_mean",
    ),
    "history": ("history_ask", "history_title", "did_you_mean"),
    "open": ("review_title", "opened_unfinished"),
    "resume": ("nothing_to_resume", QUESTION, REVIEW, "review_title"),
    "retry": ("nothing_to_retry", "busy_interview", "busy_review", "did_you_mean"),
    "note": ("note_usage", "note_ask", "note_nothing", "note_prompt", "noted_on", "noted",
             "did_you_mean"),
    "noteon": ("noted_on",),
    "summary": ("summary_title", "did_you_mean"),
    "flagged": ("flagged_none", "flagged_title", "did_you_mean"),
    "reviewed": ("reviewed_usage", "reviewed_done", "did_you_mean"),
    "export": ("export_usage", "export_done", "did_you_mean"),
    "admin": ("admin_help", "did_you_mean"),
    "cancel": ("nothing_to_cancel", "cancelled", "choice_cancelled", "cancelled_pending"),
    "finish": (
        "generating", "in_interview", "finish_before_answers", "nothing_to_finish", "in_review"
    ),
    "lang": ("lang_bad",),
    "help": ("help_teacher", "help_principal", "help_admin", "help_interview", "help_review"),
    "save": ("saved", "busy_interview", "did_you_mean"),
    "edit": ("edit_which", "edit_prompt", "did_you_mean"),
    "flag": ("flagged", "did_you_mean"),
    "discard": ("discarded", "did_you_mean"),
    "choose": ("started",),
    "answer": (QUESTION, "edited", "noted"),
    "admin:retention --yes": ("admin_retention",),
}


def _pattern(text: str, fill: Callable[[str], str | None]) -> str:
    """A regex of a catalogue sentence: `fill(name)` where it gives text, anything elsewhere."""
    parts = re.split(r"(\{[^{}]*\})", text)
    out = []
    for part in parts:
        if part.startswith("{") and part.endswith("}"):
            filled = fill(part[1:-1])
            out.append(".*?" if filled is None else re.escape(filled))
        else:
            out.append(re.escape(part))
    return "".join(out)


def _sentences(language: str) -> list[tuple[str, str]]:
    found = []
    for key in sorted(keys(language)):
        counts = (1, 2, 5) if key in plural_keys(language) else (None,)
        found += [(key, sentence(language, key, count)) for count in counts]
    return found


def says(reply: Reply, key: str) -> bool:
    """True when the reply is the catalogue sentence `key` (either language), or its marker."""
    if key == QUESTION:
        return any(b.action == "finish" for b in reply.buttons)
    if key == REVIEW:
        return any(b.action == "save" for b in reply.buttons)
    for language in LANGUAGES:
        if key in keys(language):
            for _, text in [s for s in _sentences(language) if s[0] == key]:
                if re.match(_pattern(text, lambda _: None), reply.text, re.DOTALL):
                    return True
    return False


def offered_words(reply: Reply, language: str) -> set[str]:
    """The command words the reply's sentences name (`{w_VERB}` in a sentence it contains), as
    typed: with the slash when the sentence puts one before the word."""
    found: set[str] = set()
    for _key, text in _sentences(language):
        names = re.findall(r"\{(w_[a-z]+)\}", text)
        literal = re.sub(r"\{[^{}]*\}", "", text)
        if not names or len(literal.strip(" .,:;()`'’—-")) < 4:
            continue  # a bare `{w_help}` usage line is read as part of the help list instead
        fill = {n: word(language, n[2:]) for n in names}
        if re.search(_pattern(text, fill.get), reply.text, re.DOTALL) is None:
            continue
        for name in names:
            slashed = f"/{{{name}}}" in text
            found.add(("/" if slashed else "") + fill[name])
    for line in reply.text.splitlines():  # the help list: the first word of each `•` line
        first = line[2:].split()[0] if line.startswith("• ") else ""
        if first in WORDS and f"({WORDS[first]})" in line:  # `• נתח שם (analyze) — …`
            found.add(first)
    return found


@dataclass
class Walk:
    """One person's conversation, its kept rows, and what the probes found wrong."""

    chat: Chat
    raw: asyncpg.Connection
    language: str
    problems: list[str] = field(default_factory=list)
    steps: int = 0
    probes: int = 0

    async def keep(self) -> None:
        for table in KEPT:
            await self.raw.execute(f"DROP TABLE IF EXISTS kept_{table}")
            await self.raw.execute(f"CREATE TEMP TABLE kept_{table} AS TABLE {table}")

    async def restore(self) -> None:
        await self.raw.execute(
            "DELETE FROM dialogue_states; DELETE FROM analysis_conversations; DELETE FROM analyses"
        )
        for table in KEPT:
            await copy_rows(self.raw, table, f"kept_{table}")

    async def step(self, text: str = "", action: str | None = None) -> list[Reply]:
        """Send one message, then probe everything its replies offer."""
        replies = await self.chat.say(text, action=action)
        self.steps += 1
        await self.keep()
        where = action or text
        for reply in replies:
            for button in reply.buttons:
                verb, _, argument = button.action.partition(":")
                if verb == "run":  # "yes, run it": the command the word names
                    verb = WORDS[argument.lower()]
                elif button.action in EXPECTED:
                    verb = button.action
                await self.probe(f"{where} → [{button.label}]", verb, action=button.action)
            for typed in sorted(offered_words(reply, self.language)):
                verb = WORDS[typed.lstrip("/")]
                await self.probe(f"{where} → “{typed}”", verb, text=typed)
        await self.restore()
        return replies

    async def probe(
        self, what: str, verb: str, *, text: str = "", action: str | None = None
    ) -> None:
        await self.restore()
        self.probes += 1
        answers = await self.chat.say(text, action=action)
        wanted = EXPECTED.get(verb, ())
        if not answers or not any(says(answers[0], key) for key in wanted):
            first = answers[0].text.splitlines()[0] if answers else "(nothing)"
            self.problems.append(f"{what}: {verb} answered {first!r}")


async def teacher(walk: Walk, raw: asyncpg.Connection) -> None:
    await walk.step("help")
    [choose] = await walk.step("analyze O")  # Olivia Brown and Liam O'Brien
    liam = next(b.action for b in choose.buttons if "Liam" in b.label)
    await walk.step(action=liam)
    await walk.step("He reads well.")
    await walk.step("help")
    await walk.step("students")  # did you mean the command?
    await walk.step(action="answer")
    await walk.step("finish")  # the review
    await walk.step("edit")
    await walk.step("1")  # strengths: the prompt
    await walk.step("Reads fluently; Loves maps")
    await walk.step("note")
    await walk.step("history")  # did you mean, while the note waits
    await walk.step("resume")
    await walk.step("save")
    await walk.step("history Liam")
    await walk.step("note he was tired today")
    await walk.step("analyze Olivia")
    await walk.step("She is quiet.")
    await raw.execute("UPDATE dialogue_states SET state = 'IDLE', analysis_id = NULL")
    await walk.step("hello")  # the resume offer
    await walk.step("cancel")
    await raw.execute(  # two days later (updated_at is kept by a trigger: off for this one)
        "SET session_replication_role = replica; "
        "UPDATE analyses SET updated_at = now() - interval '2 days'; "
        "SET session_replication_role = origin"
    )
    await walk.step("note his father called")  # which analysis? (buttons)
    await walk.step("lang")


async def principal(walk: Walk, raw: asyncpg.Connection) -> None:
    await walk.step("help")
    await walk.step("help summary")
    await walk.step("summary grade 5")
    await walk.step("summary school yesterday")
    await walk.step("flagged")
    await walk.step("reviewed")
    await walk.step("export")
    await walk.step("history Liam")
    await walk.step("analyze Liam")


async def admin(walk: Walk, raw: asyncpg.Connection) -> None:
    await walk.step("help")
    await walk.step("admin")
    await walk.step("summary district")
    await walk.step("history Liam")
    await raw.execute(
        "UPDATE students SET deleted_at = now() - interval '8 years' WHERE first_name = 'Olivia'"
    )
    await walk.step("admin retention")  # its button anonymises: probed last, nothing after


WALKS: dict[str, Callable[[Walk, asyncpg.Connection], Awaitable[None]]] = {
    "teacher1": teacher,
    "principal": principal,
    "admin": admin,
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("who", list(WALKS))
async def test_every_button_and_word_a_reply_offers_does_what_it_said(
    chat: Chat, fake_ai: FakeOpenAI, raw: asyncpg.Connection, who: str, language: str
) -> None:
    if who != "teacher1":  # something for principals and admins to see: a flagged analysis
        for text in ("analyze Liam", "He reads well.", "finish", "flag", "save"):
            await chat.say(text)
    person = Chat(chat.engine, user=who)
    await person.say(f"lang {language}")
    walk = Walk(person, raw, language)
    await WALKS[who](walk, raw)
    assert not walk.problems, "\n".join(walk.problems)
    assert walk.probes >= walk.steps  # every step reached a place that offers something
