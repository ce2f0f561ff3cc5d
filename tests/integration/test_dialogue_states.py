"""The state table: every state × every kind of input gives a defined transition or a helpful reply.

One database, engine and fake AI serve the whole module. Each state is reached once by driving
teacher1's conversation through the engine (GENERATING only persists after a crash, so it is
set with raw SQL); its rows are kept, and every case restores them and sends one input. The
expected outcome of every (state, input) pair is written out in TABLE, read from the handlers.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
import pytest

from bot.events import Reply
from bot.i18n import CATALOGUE
from core.db import make_engine, make_session_factory
from tests.conftest import asyncpg_dsn, with_database
from tests.database_pool import DatabasePool
from tests.dialogue_fixtures import Chat, seed_and_link
from tests.dialogue_fixtures import make_engine as make_dialogue_engine
from tests.fakes.openai_server import FakeOpenAI
from tests.service_fixtures import copy_rows

# Teacher1 sees Olivia Brown and Liam O'Brien for "O" ("Cohen" finds only David Cohen: the
# other Cohen, בן-ציון כהן, is spelled in Hebrew).
SEVERAL = "O"

# Each kind of input: typed text, or a button (`btn:` + its action id).
INPUTS: dict[str, tuple[str, str | None]] = {
    "text": ("He reads well and loves maps.", None),
    "empty": ("", None),
    "number": ("1", None),
    "analyze": ("analyze Liam", None),
    "students": ("students", None),
    "history": ("history", None),
    "resume": ("resume", None),
    "retry": ("retry", None),
    "cancel": ("cancel", None),
    "note": ("note talks a lot in class", None),
    "lang-en": ("lang en", None),
    "lang-xx": ("lang xx", None),
    "help": ("help", None),
    "finish": ("finish", None),
    "summary": ("summary", None),
    "flagged": ("flagged", None),
    "admin": ("admin", None),
    **{
        f"btn:{action}": ("", action)
        for action in "choose:1 choose:99 finish save edit:strengths edit:bogus flag note discard "
        "resume retry cancel zzz".split()
    },
}

# state -> "RESULTING_STATE reply" -> the inputs (space separated) that lead there. `reply` is
# the catalogue key the first reply is (Hebrew or English), `question` (a new interview
# question with its Finish button) or `asked_again` (the stored question, nothing stored).
# REVIEWING+edit / +note: REVIEWING awaiting that text;
# GENERATING+done: the crash came after the result was stored.
TABLE: dict[str, dict[str, str]] = {
    "IDLE": {
        "IDLE not_understood": "text",
        # A number with nothing numbered offered (no list, no buttons): said so.
        "IDLE no_number": "number",
        "IDLE help_teacher": "empty help btn:choose:1 btn:choose:99 btn:zzz",
        # An old review button, or a review word, with no review open: where it is done.
        "IDLE no_review_open": "btn:save btn:edit:strengths btn:edit:bogus btn:flag btn:discard",
        "INTERVIEWING started": "analyze",
        "IDLE students_title": "students",
        "IDLE history_ask": "history",
        "IDLE nothing_to_resume": "resume btn:resume",
        "IDLE nothing_to_retry": "retry btn:retry",
        "IDLE nothing_to_cancel": "cancel btn:cancel",
        "IDLE note_nothing": "note",
        "IDLE note_usage": "btn:note",
        "IDLE lang_set": "lang-en",
        "IDLE lang_unknown": "lang-xx",
        "IDLE nothing_to_finish": "finish btn:finish",
        "IDLE role_refused_teacher": "summary flagged",
        "IDLE role_refused": "admin",
    },
    "CHOOSING": {
        # A number picks; a command runs (leaving the choice, but for the list of students,
        # looked at to decide); finish (or "done") leaves it; text is told nothing started or
        # was kept; anything else asks again.
        "CHOOSING choose_again": "empty help btn:choose:99 btn:save btn:edit:strengths "
        "btn:edit:bogus btn:flag btn:discard btn:zzz",
        "CHOOSING choose_not_started": "text",
        "INTERVIEWING started": "number analyze btn:choose:1",
        "CHOOSING students_title": "students",
        "IDLE history_ask": "history",
        "IDLE nothing_to_resume": "resume btn:resume",
        "IDLE nothing_to_retry": "retry btn:retry",
        "IDLE note_nothing": "note",
        "IDLE note_usage": "btn:note",
        "CHOOSING lang_set": "lang-en",
        "CHOOSING lang_unknown": "lang-xx",
        "IDLE choice_cancelled": "cancel btn:cancel finish btn:finish",
        "IDLE role_refused_teacher": "summary flagged",
        "IDLE role_refused": "admin",
    },
    "INTERVIEWING": {
        # Typed text is an answer, unless it is a control word (help, cancel, finish, lang
        # with a language) or a lone resume; a lone other command word asks what was meant.
        "INTERVIEWING question": "text number",
        # `lang` with no language it knows: the languages there are, never an answer.
        "INTERVIEWING lang_unknown": "lang-xx",
        "INTERVIEWING asked_again": "resume btn:resume",
        "INTERVIEWING in_interview": "empty",
        "INTERVIEWING did_you_mean": "students history retry summary flagged admin analyze note",
        "INTERVIEWING help_interview": "help",
        "INTERVIEWING lang_set": "lang-en",
        "INTERVIEWING busy_interview": "btn:choose:1 btn:choose:99 btn:save btn:edit:strengths "
        "btn:edit:bogus btn:flag btn:discard btn:retry btn:zzz",
        "INTERVIEWING note_usage": "btn:note",
        "REVIEWING generating": "finish btn:finish",
        "IDLE cancelled": "cancel btn:cancel",
    },
    "GENERATING": {
        # Whatever comes next regenerates from the stored turns, but cancel, lang and help.
        "REVIEWING generating": "text empty number analyze students history resume retry note "
        "finish summary flagged admin btn:choose:1 btn:choose:99 btn:finish btn:save "
        "btn:edit:strengths btn:edit:bogus btn:flag btn:note btn:discard btn:resume btn:retry "
        "btn:zzz",
        "IDLE cancelled": "cancel btn:cancel",
        "GENERATING lang_set": "lang-en",
        "GENERATING lang_unknown": "lang-xx",
        "GENERATING help_teacher": "help",
    },
    "GENERATING+done": {
        # Text nothing waits for is not kept, and the reply says so.
        "REVIEWING review_text_ignored": "text",
        "REVIEWING in_review": "empty btn:choose:1 btn:choose:99",
        # Done with the draft: asked whether to save it (nothing is saved on `finish` alone).
        "REVIEWING review_save_offer": "finish btn:finish",
        "REVIEWING busy_review": "analyze retry btn:retry btn:zzz",
        "REVIEWING students_title": "students",
        "REVIEWING history_ask": "history",
        "REVIEWING review_title": "resume btn:resume",
        "REVIEWING noted": "note",
        "GENERATING lang_set": "lang-en",
        "GENERATING lang_unknown": "lang-xx",
        "GENERATING help_teacher": "help",
        "REVIEWING role_refused_teacher": "summary flagged",
        "REVIEWING role_refused": "admin",
        "IDLE saved": "number btn:save",
        "REVIEWING edit_prompt": "btn:edit:strengths",
        "REVIEWING edit_which": "btn:edit:bogus",
        "REVIEWING flagged": "btn:flag",
        "REVIEWING note_prompt": "btn:note",
        "IDLE discarded": "btn:discard",
        "IDLE cancelled": "cancel btn:cancel",
    },
    "REVIEWING": {
        # Every review action works typed, by button or by its number ("1" is Save).
        # Text nothing waits for is not kept, and the reply says so.
        "REVIEWING review_text_ignored": "text",
        "REVIEWING in_review": "empty btn:choose:1 btn:choose:99",
        # Done with the draft: asked whether to save it (nothing is saved on `finish` alone).
        "REVIEWING review_save_offer": "finish btn:finish",
        "REVIEWING busy_review": "analyze retry btn:retry btn:zzz",
        "REVIEWING students_title": "students",
        "REVIEWING history_ask": "history",
        "REVIEWING review_title": "resume btn:resume",
        "REVIEWING noted": "note",
        "REVIEWING lang_set": "lang-en",
        "REVIEWING lang_unknown": "lang-xx",
        "REVIEWING help_review": "help",
        "REVIEWING role_refused_teacher": "summary flagged",
        "REVIEWING role_refused": "admin",
        "IDLE saved": "number btn:save",
        "REVIEWING edit_prompt": "btn:edit:strengths",
        "REVIEWING edit_which": "btn:edit:bogus",
        "REVIEWING flagged": "btn:flag",
        "REVIEWING note_prompt": "btn:note",
        "IDLE discarded": "btn:discard",
        # The draft, edits and all, is closed for good only once "Discard this draft?" is
        # answered yes.
        "REVIEWING cancel_draft_confirm": "cancel btn:cancel",
    },
    "REVIEWING+discard": {
        # Yes, its number (1) or cancel again cancels; anything else drops the question and is
        # read as in review (no, its button and "resume" show the draft again, as it was).
        "IDLE cancelled": "number cancel btn:cancel",
        "REVIEWING review_text_ignored": "text",
        "REVIEWING in_review": "empty btn:choose:1 btn:choose:99",
        "REVIEWING busy_review": "analyze retry btn:retry btn:zzz",
        "REVIEWING students_title": "students",
        "REVIEWING history_ask": "history",
        "REVIEWING review_title": "resume btn:resume",
        "REVIEWING noted": "note",
        "REVIEWING lang_set": "lang-en",
        "REVIEWING lang_unknown": "lang-xx",
        "REVIEWING help_review": "help",
        "REVIEWING role_refused_teacher": "summary flagged",
        "REVIEWING role_refused": "admin",
        # `finish` has nothing to finish in review: the question still waits, asked again.
        "REVIEWING cancel_draft_confirm": "finish btn:finish",
        "IDLE saved": "btn:save",
        "REVIEWING edit_prompt": "btn:edit:strengths",
        "REVIEWING edit_which": "btn:edit:bogus",
        "REVIEWING flagged": "btn:flag",
        "REVIEWING note_prompt": "btn:note",
        "IDLE discarded": "btn:discard",
    },
    "REVIEWING+edit": {
        # Typed text is the section's new text; cancel drops the edit, not the analysis. A
        # command word, alone or leading, is asked about ("did you mean the command?"), nothing
        # stored yet.
        "REVIEWING edited": "text number",
        "REVIEWING lang_unknown": "lang-xx",
        "REVIEWING did_you_mean": "students history retry summary flagged admin analyze note",
        "REVIEWING invalid": "empty",
        "REVIEWING review_title": "resume btn:resume",
        "REVIEWING cancelled_pending": "cancel btn:cancel",
        "REVIEWING lang_set": "lang-en",
        "REVIEWING help_review": "help",
        # Anything that is not the text leaves the question standing: the prompt again.
        "REVIEWING edit_prompt": "finish btn:choose:1 btn:choose:99 btn:finish btn:edit:strengths",
        "REVIEWING busy_review": "btn:retry btn:zzz",
        "IDLE saved": "btn:save",
        "REVIEWING edit_which": "btn:edit:bogus",
        "REVIEWING flagged": "btn:flag",
        "REVIEWING note_prompt": "btn:note",
        "IDLE discarded": "btn:discard",
    },
    "REVIEWING+note": {
        "REVIEWING noted": "text number",
        "REVIEWING lang_unknown": "lang-xx",
        "REVIEWING did_you_mean": "students history retry summary flagged admin analyze note",
        "REVIEWING invalid": "empty",
        "REVIEWING review_title": "resume btn:resume",
        "REVIEWING cancelled_pending": "cancel btn:cancel",
        "REVIEWING lang_set": "lang-en",
        "REVIEWING help_review": "help",
        "REVIEWING note_prompt": "finish btn:choose:1 btn:choose:99 btn:finish btn:note",
        "REVIEWING busy_review": "btn:retry btn:zzz",
        "IDLE saved": "btn:save",
        "REVIEWING edit_prompt": "btn:edit:strengths",
        "REVIEWING edit_which": "btn:edit:bogus",
        "REVIEWING flagged": "btn:flag",
        "IDLE discarded": "btn:discard",
    },
}


def _expected() -> dict[tuple[str, str], tuple[str, str]]:
    cases: dict[tuple[str, str], tuple[str, str]] = {}
    for state, rows in TABLE.items():
        for outcome, kinds in rows.items():
            resulting, reply = outcome.split()
            for kind in kinds.split():
                assert (state, kind) not in cases, f"{state} × {kind} is in the table twice"
                cases[state, kind] = (resulting, reply)
    return cases


EXPECTED = _expected()


# The rows a conversation's state is made of, in insertion order.
DIALOGUE_TABLES = ("analyses", "analysis_conversations", "dialogue_states")


@dataclass
class World:
    """One seeded database, engine, fake AI and raw connection for the whole module."""

    chat: Chat
    raw: asyncpg.Connection
    fake: FakeOpenAI
    reached: set[str] = field(default_factory=set)

    async def state(self) -> str | None:
        return await self.raw.fetchval("SELECT state FROM dialogue_states")

    async def reset(self) -> None:
        """No conversation and no analysis: the next event starts from IDLE."""
        await self.raw.execute(
            "DELETE FROM dialogue_states; DELETE FROM analysis_conversations; DELETE FROM analyses"
        )
        self.fake.default = "auto"
        assert self.fake.pending == 0

    async def enter(self, state: str) -> None:
        """Put the conversation in `state`: driven there the first time, restored after that."""
        await self.reset()
        key = state.replace("+", "_").lower()
        if state in self.reached:
            for table in DIALOGUE_TABLES:
                await copy_rows(self.raw, table, f"kept_{key}_{table}")
            return
        await SETUPS[state][0](self)
        for table in DIALOGUE_TABLES:
            await self.raw.execute(f"CREATE TEMP TABLE kept_{key}_{table} AS TABLE {table}")
        self.reached.add(state)


@pytest.fixture(scope="module")
async def world(
    pg_server_url: str, database_pool: DatabasePool, redis_url: str
) -> AsyncIterator[World]:
    """Built once: a test database costs seconds, a case here must take a fraction of one."""
    from adapters.redis_store import redis_client

    name = await database_pool.take()
    url = with_database(pg_server_url, name)
    db = make_engine(url, pool_size=5)
    client = redis_client(redis_url)
    namespace = f"ge:test-{uuid.uuid4().hex}"
    raw = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with FakeOpenAI() as fake:
            factory = make_session_factory(db)
            await seed_and_link(factory)
            engine = make_dialogue_engine(
                factory, fake, client, namespace, min_questions=2, max_questions=4
            )
            yield World(Chat(engine), raw, fake)
    finally:
        await raw.close()
        keys = [key async for key in client.scan_iter(match=f"{namespace}:*", count=500)]
        if keys:
            await client.unlink(*keys)
        await client.aclose()
        await db.dispose()
        database_pool.give_back(name)


async def _interviewing(world: World) -> None:
    """Liam's interview, one answer given (two questions asked, the minimum reached)."""
    assert (await world.chat.say("analyze Liam"))[1].buttons
    assert (await world.chat.say("Liam loves reading and maps."))[0].buttons


async def _reviewing(world: World) -> None:
    await _interviewing(world)
    assert len(await world.chat.say("finish")) == 2


async def _crashed_while_generating(world: World) -> None:
    await _interviewing(world)
    await world.raw.execute("UPDATE dialogue_states SET state = 'GENERATING'")


async def _crashed_after_storing_the_result(world: World) -> None:
    await _reviewing(world)
    await world.raw.execute("UPDATE dialogue_states SET state = 'GENERATING'")


async def _idle(world: World) -> None:
    return None


async def _choosing(world: World) -> None:
    assert len((await world.chat.say(f"analyze {SEVERAL}"))[0].buttons) >= 2


async def _awaiting_edit(world: World) -> None:
    await _reviewing(world)
    await world.chat.say(action="edit:strengths")


async def _asked_to_discard(world: World) -> None:
    await _reviewing(world)
    await world.chat.say("cancel")


async def _awaiting_note(world: World) -> None:
    await _reviewing(world)
    await world.chat.say(action="note")


SETUPS: dict[str, tuple[Callable[[World], Awaitable[None]], str | None]] = {
    "IDLE": (_idle, None),
    "CHOOSING": (_choosing, "CHOOSING"),
    "INTERVIEWING": (_interviewing, "INTERVIEWING"),
    "GENERATING": (_crashed_while_generating, "GENERATING"),
    "GENERATING+done": (_crashed_after_storing_the_result, "GENERATING"),
    "REVIEWING": (_reviewing, "REVIEWING"),
    "REVIEWING+edit": (_awaiting_edit, "REVIEWING"),
    "REVIEWING+note": (_awaiting_note, "REVIEWING"),
    "REVIEWING+discard": (_asked_to_discard, "REVIEWING"),
}


def _is(reply: Reply, key: str) -> bool:
    if key in ("question", "asked_again"):
        return any(button.action == "finish" for button in reply.buttons) and not any(
            reply.text.startswith(c["help_teacher"].split("{")[0]) for c in CATALOGUE.values()
        )
    # The catalogue sentence up to its first placeholder, in either language.
    return any(reply.text.startswith(c[key].split("{")[0]) for c in CATALOGUE.values())


def test_the_table_covers_every_state_and_every_input_exactly_once() -> None:
    assert set(TABLE) == set(SETUPS)
    assert set(EXPECTED) == {(state, kind) for state in SETUPS for kind in INPUTS}
    for resulting, reply in EXPECTED.values():
        assert resulting in ("IDLE", "CHOOSING", "INTERVIEWING", "GENERATING", "REVIEWING")
        assert reply in ("question", "asked_again") or reply in CATALOGUE["en"]


@pytest.mark.parametrize(
    ("state", "kind"), list(EXPECTED), ids=[f"{state}-{kind}" for state, kind in EXPECTED]
)
async def test_every_input_in_every_state_gets_a_reply_and_a_defined_next_state(
    world: World, state: str, kind: str
) -> None:
    await world.enter(state)
    assert await world.state() == SETUPS[state][1]

    text, action = INPUTS[kind]
    replies = await world.chat.say(text, action=action)
    # Teacher1 chose no language: English text is answered in English, and the line saying so
    # comes first (bot/written_in.py); the table is about what follows it.
    replies = [r for r in replies if not _is(r, "lang_followed")]

    resulting, reply = EXPECTED[state, kind]
    assert replies, "no reply at all"
    assert all(r.text.strip() for r in replies), replies
    assert await world.state() == resulting
    assert _is(replies[0], reply), (reply, replies[0].text)
    if reply in ("question", "asked_again"):
        last, before = await world.raw.fetch(
            "SELECT role::text, content FROM analysis_conversations "
            "ORDER BY sequence_number DESC LIMIT 2"
        )
        assert (last["role"], last["content"]) == ("ASSISTANT", replies[0].text)
        answered = (before["role"], before["content"]) == ("USER", text)
        assert answered == (reply == "question"), "an answer is stored; a resume stores nothing"
    if reply in ("started", "generating"):
        assert len(replies) == 2 and replies[1].buttons, replies


async def test_a_number_that_is_not_a_plain_digit_asks_for_the_choice_again(
    world: World,
) -> None:
    await world.reset()
    await _choosing(world)
    for odd in ("²", "0", "-1", "1.5", "99"):
        replies = await world.chat.say(odd)
        assert _is(replies[0], "choose_again"), (odd, replies)
        assert await world.state() == "CHOOSING"


async def test_a_review_cancelled_is_over_for_good_and_never_offered_again(
    world: World,
) -> None:
    await world.reset()
    await _reviewing(world)
    assert _is((await world.chat.say("cancel"))[0], "cancel_draft_confirm")
    assert await world.raw.fetchval("SELECT status::text FROM analyses") == "IN_PROGRESS"
    assert _is((await world.chat.say("yes"))[0], "cancelled")
    status = await world.raw.fetchval("SELECT status::text FROM analyses")
    assert status == "FAILED"

    for word in ("resume", "retry", "hello"):
        replies = await world.chat.say(word)
        assert await world.state() == "IDLE"
        assert not any(b.action in ("resume", "retry") for r in replies for b in r.buttons)
    assert _is((await world.chat.say("resume"))[0], "nothing_to_resume")
    assert await world.raw.fetchval("SELECT status::text FROM analyses") == "FAILED"
