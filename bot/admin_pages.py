"""A list too long for one reply (the audit trail, the users): the command of its next page,
and how to ask for it in the way the first page was asked for. In the chat "more" (`עוד`) or
the button continues; a command typed also gets that command to copy; the CLI only the
command, as a shell takes it (`growth-engine admin audit since ... --before ID`)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.admin_grammar import Spec, names_an_area, split
from bot.admin_words import MORE, MORE_WORDS
from bot.commands import BY_VERB, word
from bot.events import Button, Reply
from bot.meant import offer_buttons

if TYPE_CHECKING:
    from bot.admin_call import Call
    from bot.context import Context

# In the state: the next page's command (English words, without `admin`) and whether the list
# was asked for in everyday words, so the next hint says "more" only.
NEXT_PAGE = "admin_next_page"


def typed_a_command(text: str) -> bool:
    """True when `text` is an admin command as typed (`admin audit ...`, `audit ...`, `ניהול
    ביקורת ...`), not a request in words ("who looked at Noah's record?") or a button."""
    words = split(text)
    admin = {*BY_VERB["admin"].en, *BY_VERB["admin"].he}
    if words and words[0].lower().lstrip("/") in admin:
        words = words[1:]
    return names_an_area(words)


def command_line(spec: Spec[Any], values: dict[str, Any], more: dict[str, Any]) -> str:
    """The words of `spec` with its bound `values`, options replaced by those of `more`."""
    merged = {**values, **more}
    words = list(spec.words)
    for param in spec.params.split():
        name = param.strip("[]")
        key = name.split("=")[0].lstrip("-").replace("-", "_").rstrip(".").lower()
        if key not in merged:
            continue
        value = str(merged[key])
        if name.startswith("--"):  # an option: its flag, and its value when it takes one
            words += [name.split("=")[0], value] if "=" in name else [name]
        elif name.endswith("...") or not any(c.isspace() for c in value):
            words.append(value)  # the rest of the line is one argument without quotes
        else:
            words.append(f'"{value}"')
    return " ".join(words)


def _more_line(call: Call, command: str) -> str:
    if call.cli:
        return call.say("admin_more_cli", command=f"growth-engine admin {command}")
    if call.in_words:
        return call.say("admin_more_words")
    return call.say("admin_more", command=f"{word(call.language, 'admin')} {command}")


def said_more(
    call: Call, spec: Spec[Any], values: dict[str, Any], replies: list[Reply]
) -> str | None:
    """When the list `replies` show has a next page: its command, after a last line saying
    what to write for it; else None."""
    if not call.pages:
        return None
    command = command_line(spec, values, call.pages[-1])
    last = replies[-1]
    replies[-1] = replace(last, text=f"{last.text}\n{_more_line(call, command)}")
    return command


def continued(ctx: Context, argument: str) -> tuple[str, bool] | None:
    """The next page's command and whether the list was asked for in words, when `argument`
    asks for more (taken: "more" once more goes on from the page it shows); else None."""
    if argument.strip().lower() not in (MORE, *MORE_WORDS):
        return None
    stored = ctx.data.pop(NEXT_PAGE, None)
    return ("", False) if stored is None else (str(stored["command"]), bool(stored["in_words"]))


def offer_more(ctx: Context, replies: list[Reply], command: str | None, in_words: bool) -> None:
    """Keep the next page's command for "more", and put its button under the last reply."""
    if command is None:
        ctx.data.pop(NEXT_PAGE, None)  # a later "more" is about no list shown
        return
    ctx.data[NEXT_PAGE] = {"command": command, "in_words": in_words}
    # The command itself would outgrow Telegram's 64-byte button data: the state holds it.
    button = Button(ctx.say("admin_more_button"), f"admin:{MORE}")
    last = replies[-1]
    replies[-1] = replace(last, buttons=(*last.buttons, button))
    offer_buttons(ctx, (button,))
