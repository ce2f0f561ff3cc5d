"""Did you mean the command? Asked where a message could be a command or something else: a
command word where free text is awaited, a near miss of one where a command is, or a student's
name typed alone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.commands import Parsed, from_action, parse, word
from bot.deps import Deps
from bot.events import Button, Reply
from bot.everyday import SPEECH
from bot.i18n import isolate
from bot.names_typed import named_as_typed
from bot.nearest_command import nearest
from bot.reading import greeting, intent, thanked
from bot.request_words import offered
from bot.states import IDLE
from core.errors import InvalidInput
from core.models import UserRole
from core.services import students

if TYPE_CHECKING:
    from bot.context import Context

SHOWN = 40  # characters of a message quoted back; a pasted paragraph is cut
NAME_WORDS = 3  # a name alone is a few words; a sentence is not looked up as one
NAME_LETTERS = 3  # "ok" or "Li" is no name to offer, though it is inside several
NAME_MATCHES = 3
NAME_VERBS = ("analyze", "history")  # what a name alone is offered for
# A typed reply to a did-you-mean question, as people answer one: yes runs the command; no
# keeps the message as the text it interrupted where that is the question's other button, and
# elsewhere is that other button, what the person can do (never "I did not understand “no”").
YES_WORDS = frozenset({"yes", "y", "yeah", "yep", "sure", "ok", "okay", "כן", "בטח", "נכון"})
NO_WORDS = frozenset({"no", "n", "nope", "not", "לא", "ממש לא"})
# In the state: the command that asked for its argument ("analyze" alone: "Whom?").
WHOM = "asked_whom"
# In the state: the actions of the buttons the last reply offered outside an interview or a
# review, where a typed number ("1", as a numbered list invites) presses one.
ACTIONS = "offered_actions"
YES_FIRST = "offered_yes"  # ...and a typed yes presses the first


@dataclass(frozen=True)
class Pending:
    """The message a did-you-mean question holds, and whether its "no" keeps it as text."""

    text: str
    answerable: bool = False
    # The command a misspelt word was read as (`cancle`: `cancel`), when it is not `text`.
    meant: str | None = None

    @property
    def command(self) -> str:
        """The text that runs when the question is answered yes."""
        return self.meant or self.text


# "#1" (a press of button 1 as the terminal writes it) or a number alone, as a numbered list
# invites; a longer number is no button (a school number is looked up as a name before this).
_BUTTON = re.compile(r"#\s*(\d{1,3})|(\d{1,2})")
_PRESSED = re.compile(r"#\s*(\d{1,3})")


def button_number(said: str, *, alone: bool = True) -> str | None:
    """The number `said` picks ("#1", or with `alone`, "1"), or None for other text."""
    found = (_BUTTON if alone else _PRESSED).fullmatch(said.strip())
    return None if found is None else str(int(next(g for g in found.groups() if g)))


# In the state: a did-you-mean question's message, whether "no" keeps it, and the command meant.
PENDING_KEYS = ("pending", "pending_answerable", "pending_meant")


def take_pending(ctx: Context) -> Pending | None:
    """The question's message, taken out of the state (a later message answers it or not)."""
    text = ctx.data.pop("pending", None)
    answerable = bool(ctx.data.pop("pending_answerable", False))
    meant = ctx.data.pop("pending_meant", None)
    return Pending(text, answerable, meant) if text else None


def offer_buttons(ctx: Context, buttons: tuple[Button, ...], *, yes: bool = False) -> None:
    """Note `buttons` as the ones just offered: where no text is awaited, a typed number
    presses one (and with `yes`, a typed yes the first)."""
    offer_numbers(ctx, [b.action for b in buttons])
    if yes and ctx.state == IDLE:
        ctx.data[YES_FIRST] = True


def offer_numbers(ctx: Context, actions: list[str]) -> None:
    """Where no text is awaited, a typed number N runs `actions[N-1]`: a numbered list whose
    items have several buttons each is answered by the list's numbers, not the buttons'."""
    if ctx.state == IDLE:
        ctx.data[ACTIONS] = actions


def pressed(ctx: Context, parsed: Parsed) -> Parsed:
    """A typed number ("1", "#1") as the button of that number the last reply offered; a yes
    as its first where that is what yes means ("Resume")."""
    actions = ctx.data.pop(ACTIONS, [])
    yes = ctx.data.pop(YES_FIRST, False)
    said = parsed.argument.strip().lstrip("#") if parsed.verb is None else ""
    if said.isdecimal() and 1 <= int(said) <= len(actions):
        return from_action(actions[int(said) - 1])
    if yes and actions and said and yes_or_no(said) is True:
        return from_action(actions[0])
    return parsed


def _offer(ctx: Context, said: str, buttons: tuple[Button, ...]) -> None:
    """Hold `said` for the buttons until the next message answers them."""
    ctx.data["pending"] = said
    offer_buttons(ctx, buttons)


def did_you_mean(ctx: Context, word: str) -> list[Reply]:
    """A command word where free text is expected: ask, keeping the message until the teacher
    picks (the button names the command; the message with its argument waits in the state)."""
    return _ask(ctx, word, None)


def near_miss(ctx: Context, said: str) -> list[Reply] | None:
    """A misspelt command (`sumary school`): the command spelt right, offered with a button that
    runs it as written; None when no command of the person's role is near."""
    meant = nearest(said, ctx.user.actor.role)
    if meant is None:
        return None
    shown = said if len(said) <= SHOWN else said[: SHOWN - 1] + "…"
    return [_run_or_help(ctx, meant, ctx.say("did_you_mean_typo", text=shown, word=meant))]


def offer_export(ctx: Context, period: str) -> list[Reply]:
    """A teacher's "how many analyses did I do (this month)?": there is no teacher's summary,
    but their export says how many; offered with a button, not run (every export is audited)."""
    said = [word(ctx.language, "export"), offered(ctx.language, "x_analyses") or ""]
    if period:
        said.append(offered(ctx.language, f"p_{period}") or period)
    command = " ".join(said)
    return [_run_or_help(ctx, command, ctx.say("how_many_own", command=command))]


def offer_command(ctx: Context, command: str, text: str) -> Reply:
    """`text`, which offers `command` (spelt right), with a button that runs it."""
    return _run_or_help(ctx, command, text)


def _run_or_help(ctx: Context, command: str, text: str) -> Reply:
    """`text` offering `command`: yes runs it (kept in the state until answered), no shows what
    the person can do."""
    buttons = (
        Button(ctx.say("did_you_mean_yes", word=command), f"run:{command.split()[0]}"),
        Button(ctx.say("did_you_mean_help"), "help"),
    )
    _offer(ctx, command, buttons)
    return Reply(text, buttons)


# The commands whose argument is a student's name: a misspelt one before a name is asked about.
ON_A_STUDENT = frozenset({"analyze", "history", "students"})


def _typo(said: str, role: UserRole) -> str | None:
    """The command word `said` misspells (`cancle`, `hlep`, `histroy`), with a student's name
    after it for the commands that take one (`histroy Liam`); None for other words, a
    word of three letters (a one-word answer "טוב" is one letter from "שוב"), or one inside the
    command word or around it ("story" in "history", "notes"): words in their own right."""
    plain = said.strip().lower().rstrip(".!?…")
    if " " in plain:
        return _typo_before_a_name(said, role)
    if len(plain) < 4:
        return None
    meant = nearest(plain, role)
    if meant is None or plain in meant or meant in plain:
        return None
    return meant


def _typo_before_a_name(said: str, role: UserRole) -> str | None:
    """`histroy Liam`: a misspelt command that acts on a student, then a name (the command as
    meant, with the name as typed); None for anything else, which is text."""
    first, _, name = said.strip().rstrip(".!?…").partition(" ")
    if not name or len(name.split()) > NAME_WORDS:
        return None
    meant = _typo(first, role)
    if meant is None or parse(meant).verb not in ON_A_STUDENT:
        return None
    return f"{meant} {name.strip()}"


def _ask(ctx: Context, said: str, meant: str | None) -> list[Reply]:
    """Did you mean the command `meant` (else `said` itself)? Yes runs it, no keeps `said`."""
    command = meant or said
    ctx.data["pending"] = said.strip() if meant else said
    ctx.data["pending_answerable"] = True
    if meant:
        ctx.data["pending_meant"] = meant
    buttons = (
        Button(ctx.say("did_you_mean_yes", word=command), f"run:{command.split()[0]}"),
        Button(ctx.say("did_you_mean_no"), "answer"),
    )
    return [Reply(ctx.say("did_you_mean", word=command), buttons)]


def typo_in_text(ctx: Context, said: str) -> list[Reply] | None:
    """A misspelt command word alone where free text is awaited: asked as a command word is,
    its "no" keeping the word as written; None for anything else."""
    meant = _typo(said, ctx.user.actor.role)
    return None if meant is None else _ask(ctx, said, meant)


def command_in_answer(ctx: Context, said: str) -> list[Reply] | None:
    """An interview answer that asks to stop ("stop", "never mind", "עצור") or says it is done
    ("that's all", "זהו"), or a misspelt command word: asked, never run or stored unasked
    (cancelling is final, and "done" might be the answer)."""
    verb = intent(said)
    if verb is not None:
        return _ask(ctx, said, word(ctx.language, verb))
    return typo_in_text(ctx, said)


async def name_alone(deps: Deps, ctx: Context, said: str) -> list[Reply] | None:
    """A student's name typed alone (`Noah`): the students it names, with what can be done
    with them as buttons; None when it names none of the person's students."""
    if len(said.split()) > NAME_WORDS or not NAME_LETTERS <= len(said) <= SHOWN:
        return None
    try:
        async with deps.read_uow() as uow:
            found = await students.find_students(
                uow=uow, actor=ctx.user.actor, query=said, limit=5, best_only=True
            )
    except InvalidInput:  # punctuation only: no name at all
        return None
    if not found or len(found) > NAME_MATCHES:  # several: a fragment of names, not a name
        return None
    guessed = not any(named_as_typed(said, s) for s in found)
    if guessed and any(w in SPEECH for w in said.lower().split()):  # "sorry" read as שירה
        return None
    # One student named: the buttons name them in full, so a press is no guess to ask about
    # again ("noa", "נוח": Noah Williams, who is shown); of several, the words as typed.
    buttons = offer_name(ctx, found[0].full_name if len(found) == 1 else said)
    names = ", ".join(isolate(s.full_name) for s in found)
    return [Reply(ctx.say("name_alone", text=said, names=names), buttons)]


def offer_name(ctx: Context, named: str) -> tuple[Button, ...]:
    """The buttons of what can be done with the student `named` (`analyze`, then `history`;
    `history` only for those who start no analyses), held until the next message."""
    verbs = NAME_VERBS if ctx.user.actor.role is UserRole.TEACHER else ("history",)
    buttons = tuple(Button(f"{word(ctx.language, v)} {named}", f"run:{v}") for v in verbs)
    _offer(ctx, named, buttons)
    return buttons


def ask_whom(ctx: Context, verb: str) -> None:
    """`verb` came without its argument ("analyze" alone, "Whom?"; "note" alone): the next
    message may be it."""
    if ctx.state == IDLE:  # elsewhere the next message is an answer, a note or a section
        ctx.data[WHOM] = verb


def named_after_asking(ctx: Context, parsed: Parsed) -> Parsed:
    """A name answering "Whom?" is the command asked about with it ("Liam" after "analyze");
    after "note" alone, the text is the note."""
    verb = ctx.data.pop(WHOM, None)
    said = parsed.argument.strip()
    if verb is None or parsed.verb is not None or not said:
        return parsed
    if verb != "note" and len(said.split()) > NAME_WORDS:  # a sentence is no name
        return parsed
    if greeting(said) or thanked(said) or yes_or_no(said) is not None:
        return parsed
    if nearest(said, ctx.user.actor.role) is not None:  # `anlyze Liam`: a command after all
        return parsed
    return Parsed(verb, said, False)


def yes_or_no(text: str) -> bool | None:
    """True for a typed yes ("yes", "כן", "sure!"), False for a no, None for anything else."""
    said = " ".join(text.lower().strip(" !.?").split())
    return True if said in YES_WORDS else False if said in NO_WORDS else None


def _typed_choice(parsed: Parsed, pending: Pending) -> Parsed:
    """`yes` typed to the question is its first button; `no`, its other one ("it is my answer"
    where the question interrupted a text, else "show what I can do"); a button's number is
    that button; after a name alone, a verb alone is that verb on the name."""
    named = parse(pending.command).verb is None
    if named and parsed.verb in NAME_VERBS:
        return parsed if parsed.argument else Parsed(parsed.verb, pending.text, parsed.slashed)
    if parsed.verb is not None:
        return parsed
    # Mid-interview a typed number is text (numbers answer questions), so `pressed` leaves it:
    # here, with the question's two buttons just shown, "1" was stored as the answer.
    number = button_number(parsed.argument)
    answer = {"1": True, "2": False}.get(number or "") if not named else None
    answer = yes_or_no(parsed.argument) if answer is None else answer
    if answer is True and parse(pending.command).verb is not None:
        return Parsed("run", "", True)
    if answer is False:
        return Parsed("answer" if pending.answerable else "help", "", True)
    return parsed


def settle(parsed: Parsed, pending: Pending | None) -> Parsed:
    """The did-you-mean buttons: `run` is the command (slashed), `answer` the word as text."""
    if pending is None:
        return parsed
    parsed = _typed_choice(parsed, pending)
    if parsed.verb == "run":
        meant = parse(pending.command)
        if meant.verb is None:  # a name alone: the button's own command runs on it
            return Parsed(parsed.argument, pending.text, True)
        return Parsed(meant.verb, meant.argument, True)
    if parsed.verb == "answer":
        return Parsed(None, pending.text, False)
    return parsed
