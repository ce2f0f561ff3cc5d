"""The grammar of `admin ...` commands: splitting a line into words, binding them to a command.

Arguments are split like a shell (quotes group words, an unbalanced apostrophe as in O'Brien
falls back to plain words); a parameter written `X...` takes the rest of the line, so names need
no quotes there.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bot.admin_hebrew import HEBREW_AREAS, HEBREW_ROLES, area_in_english
from bot.request_words import request_in_english
from core.errors import InvalidInput

RunT = TypeVar("RunT")

INNER_QUOTE = re.compile(r"(?<=\w)['\"](?=\w)")
# Direction marks and isolates (ours included) come along when text is copied from a chat.
INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u2066\u2067\u2068\u2069"))
# Phones type curly quotes (“Second School”, Hebrew „בית ספר”, O’Brien): read as the
# straight ones the shell-like split knows.
CURLY = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "‘": "'", "’": "'"})


@dataclass(frozen=True)
class Spec(Generic[RunT]):
    """A command: its words, its parameters (`[X]` optional, `X...` the rest of the line)."""

    words: tuple[str, ...]
    params: str
    run: RunT
    attachment: str = ""  # the file the command needs attached ("CSV"), if any

    @property
    def usage(self) -> str:
        """As shown to people: `admin user add EMAIL ROLE FIRST LAST [SCHOOL]`."""
        return " ".join(("admin", *self.words, self.params.replace("=", " "))).strip()

    @property
    def what(self) -> str:
        """The catalogue key of what the command does (`admin_what_user_add`)."""
        return "admin_what_" + "_".join(self.words)


class UsageError(Exception):
    """The words do not fit a command; `key` and `values` say why, in the catalogue. `meant`:
    the words spelt right, when a misspelt area or action (`usr`, `lst`) is near a command."""

    def __init__(
        self,
        specs: list[Spec[Any]],
        key: str = "",
        *,
        meant: list[str] | None = None,
        **values: Any,
    ) -> None:
        super().__init__(key)
        self.specs, self.key, self.values, self.meant = specs, key, values, meant


def split(text: str) -> list[str]:
    """Shell-like words, without direction marks; a phone's em dash for `--` turned back."""
    text = text.translate(INVISIBLE).translate(CURLY)
    try:  # inside a word ' and " are letters (O'Brien, ג'ודי, מנכ"ל), not quotes
        words = shlex.split(INNER_QUOTE.sub(r"\\\g<0>", text))
    except ValueError:
        words = text.split()
    return ["--" + w[1:] if w.startswith("\u2014") else w for w in words]


def _bind(spec: Spec[Any], rest: list[str]) -> dict[str, Any]:
    params = spec.params.split()
    options = {p.strip("[]").split("=")[0]: "=" in p for p in params if p.startswith("[--")}
    values: dict[str, Any] = {}
    positional: list[str] = []
    words = iter(rest)
    for word in words:
        if word in ("-h", "--help"):
            raise UsageError([spec])
        if not word.startswith("--"):
            positional.append(word)
        elif word not in options:
            raise UsageError([spec], "admin_bad_option", option=word)
        elif options[word]:
            if (value := next(words, None)) is None:
                raise UsageError([spec], "admin_needs_value", option=word)
            values[word[2:].replace("-", "_")] = value
        else:
            values[word[2:].replace("-", "_")] = True
    for param in (p for p in params if not p.startswith("[--")):
        name = param.strip("[]")
        key = name.rstrip(".").lower()
        if positional:
            greedy = name.endswith("...")
            values[key] = " ".join(positional) if greedy else positional[0]
            positional = [] if greedy else positional[1:]
        elif not param.startswith("["):
            raise UsageError([spec], "admin_missing", name=name.rstrip("."))
    if positional:
        raise UsageError([spec], "admin_extra", words=" ".join(positional))
    return values


# The help names the areas in the plural ("users, schools, rosters, quotas"): each is read as
# the command's own word, and a bare list-like plural as that list.
PLURALS = {"users": "user", "schools": "school", "rosters": "roster", "quotas": "quota",
           "districts": "district", "invites": "invite", "records": "record"}  # fmt: skip
LISTS = {("user",): ("user", "list"), ("school",): ("school", "list")}


# Every command's first word: a line an admin starts with one ("retention", "audit since
# 2026-11-30", "מכסה") is that admin command without the word `admin`.
AREAS = frozenset({*PLURALS.values(), "usage", "audit", "retention"})
# The commands that only read, which such a line runs at once; any other is offered first (the
# quotas without a limit to set and a retention dry run read, too: `reads_only`).
READS = frozenset({("user", "list"), ("school", "list"), ("usage",), ("audit", "student"),
                   ("audit", "user"), ("audit", "since")})  # fmt: skip


def names_an_area(words: list[str]) -> bool:
    """True when `words` start with an admin command's first word, English or Hebrew."""
    return bool(words) and area_in_english(words)[0].lower() in AREAS | set(PLURALS)


def reads_only(spec: Spec[Any], values: dict[str, Any]) -> bool:
    """True when the command `spec` with its bound `values` changes nothing."""
    if spec.words == ("quota",):
        return values.get("n") is None
    if spec.words == ("retention",):
        return bool(values.get("dry_run")) and not values.get("yes")
    return spec.words in READS


def line_reads_only(words: list[str], specs: list[Spec[Any]]) -> bool | None:
    """True when the admin command `words` name changes nothing (a misspelt one, or one short
    of a word, only gets its usage, as after `admin`); None when the words go on past any
    command ("users are complaining"), name no action of it, or are no values of it ("usage is
    high this month"): a sentence, not a command."""
    try:
        spec, values = parse(words, specs)
    except UsageError as error:
        sentence = error.key in ("admin_extra", "admin_unknown", "admin_not_a_command")
        sentence = sentence and error.meant is None
        return None if sentence else True
    return reads_only(spec, values) if values_fit(values) else None


def values_fit(values: dict[str, Any]) -> bool:
    """True when the words bound to a command typed without `admin` read as its values: a month
    is one word once its period words are read ("last month", "2026-11", "החודש"), a quota a
    number or off. A remark about the thing ("usage is high this month", "quota is low") binds
    its words to those values too, and is no command."""
    month = values.get("month")
    if month is not None and len(request_in_english(month).split()) != 1:
        return False
    n = values.get("n")
    return n is None or n.isdecimal() or n.lower() in ("off", "none")


def _singular(words: list[str], specs: list[Spec[Any]]) -> list[str]:
    """`words` with a leading plural as its command's word ("users add" as `user add`); a
    list's plural alone, or before what is no action of it but is written as a school code or
    an option is ("users DEMO-01", "users --page 2"), is that list. A word in lower case after
    it ("users are complaining") is left to be refused: a sentence, not a command."""
    if not words or words[0].lower() not in PLURALS:
        return words
    head = PLURALS[words[0].lower()]
    listed = LISTS.get((head,))
    rest = words[1:]
    actions = {s.words[1] for s in specs if s.words[0] == head and len(s.words) > 1}
    argument = bool(rest) and rest[0].lower() not in actions and _code_or_option(rest[0])
    return [*listed, *rest] if listed and (not rest or argument) else [head, *rest]


def _code_or_option(word: str) -> bool:
    return word.startswith("--") or (word == word.upper() and any(c.isalnum() for c in word))


# "quota set DEMO-01 50", "מכסה קבע ...": the verb people say when setting a limit, which the
# command (`quota SCHOOL N`) does not need.
_SET = frozenset({"set", "קבע", "קבעי", "תקבע", "תקבעי"})


def _set_said(words: list[str]) -> list[str]:
    head = area_in_english(words[:1])
    said = bool(head) and head[0].lower() in ("quota", "quotas") and len(words) > 2
    return [words[0], *words[2:]] if said and words[1].lower() in _SET else words


def parse(words: list[str], specs: list[Spec[RunT]]) -> tuple[Spec[RunT], dict[str, Any]]:
    """The command of `specs` the words name (longest match) and its bound arguments."""
    typed = _set_said(words)
    words = _singular(area_in_english(typed), specs)
    lowered = tuple(w.lower() for w in words)
    matches = [s for s in specs if lowered[: len(s.words)] == s.words]
    if not matches and (meant := _spelt_right(words, specs)) is not None:
        # `usr list`: asked about, as a misspelt command is elsewhere, not run unasked.
        said = [w.lower() for w in _singular(area_in_english(meant), specs)]  # as matched
        spec = max((s for s in specs if said[: len(s.words)] == list(s.words)),
                   key=lambda s: len(s.words))  # fmt: skip
        raise UsageError([spec], "admin_unknown", command=" ".join(typed[:2]), meant=meant)
    if not matches:
        near = [s for s in specs if s.words[0] == lowered[0]]
        if near and len(words) == 1:  # `admin audit`: a known command, its kind not yet named
            raise UsageError(near, "admin_which", command=" ".join(typed))
        if near:
            raise UsageError(near, "admin_unknown", command=" ".join(typed[:2]))
        # "admin cancel": no admin command's word at all. Every usage line would bury the answer;
        # the commands a little alike (if any) and `admin help` say it in a few lines.
        raise UsageError(_alike(lowered[0], specs), "admin_not_a_command", command=typed[0])
    spec = max(matches, key=lambda s: len(s.words))
    values = _bind(spec, words[len(spec.words) :])
    if "role" in values:  # "מורה": the role core reads, TEACHER
        values["role"] = HEBREW_ROLES.get(values["role"], values["role"])
    return spec, values


# As alike as a word must be to a command's for that command to be named as the closest to it,
# when it is not so near as to be offered spelt right (NEAR_MISS).
ALIKE = 0.6


def _alike(word: str, specs: list[Spec[RunT]]) -> list[Spec[RunT]]:
    """The commands whose first word is a little like `word` (two areas at most)."""
    areas = sorted({s.words[0] for s in specs})
    close = difflib.get_close_matches(word, areas, n=2, cutoff=ALIKE)
    return [s for s in specs if s.words[0] in close]


# As alike as a misspelt chat command must be to be offered spelt right (bot/nearest_command.py).
NEAR_MISS = 0.75


def _near(word: str, words: set[str]) -> str | None:
    if word in words:
        return word
    close = difflib.get_close_matches(word, sorted(words), n=1, cutoff=NEAR_MISS)
    return close[0] if close else None


def _spelt_right(words: list[str], specs: list[Spec[Any]]) -> list[str] | None:
    """`words` with their area and action spelt as a command's (`usr lst` as `user list`, a
    Hebrew area as the Hebrew word: `מכסא` as `מכסה`), the rest as typed; None when no command
    is near."""
    areas = {s.words[0] for s in specs}
    hebrew = {p for p in HEBREW_AREAS if " " not in p}
    typed = _near(words[0].lower(), areas | set(PLURALS) | hebrew)
    if typed is None:
        return None
    english = HEBREW_AREAS.get(typed, typed)
    head = PLURALS.get(english, english)
    spelt = typed if typed in hebrew else head
    actions = {s.words[1] for s in specs if s.words[0] == head and len(s.words) > 1}
    if not actions:
        return [spelt, *words[1:]]
    action = _near(words[1].lower(), actions) if len(words) > 1 else None
    if action is None and len(words) == 1 and (PLURALS.get(english, ""),) in LISTS:
        return [typed]  # "usrs", "משתמשם" alone: the list, as "users" alone is
    return None if action is None else [spelt, action, *words[2:]]


class NotANumber(InvalidInput):
    """An argument that must be a whole number is not one; `field` is the parameter's name
    (`n`, `page`), which bot/explain.py says in words."""

    def __init__(self, field: str, value: str) -> None:
        super().__init__(field, f"a whole number, not {value!r}")
        self.value = value


def number(values: dict[str, Any], key: str, default: int) -> int:
    """The bound argument `key` as a whole number (`default` when not given)."""
    value = str(values.get(key, default))
    if not value.isdecimal():
        raise NotANumber(key, value)
    return int(value)


def usage_text(error: UsageError, say: Callable[..., str]) -> str:
    """What was wrong with the words, and the usage of the commands they came near, each with
    what it does in the reader's language (the syntax's words are typed as they are)."""
    usage = "\n".join(
        say("admin_syntax_line", usage=s.usage, what=say(s.what)) for s in error.specs
    )
    if not error.key:
        return say("admin_help", commands=usage)
    if error.key == "admin_not_a_command":
        closest = [say("admin_closest", usage=usage)] if error.specs else []
        return "\n".join([say(error.key, **error.values), *closest, say("admin_help_lists")])
    return say("admin_bad_usage", problem=say(error.key, **error.values), usage=usage)
