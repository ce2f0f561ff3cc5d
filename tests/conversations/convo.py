"""Reading `.convo` transcripts: who types what, what the bot must (not) say, database facts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.i18n import LANGUAGES, keys, plural_keys, sentence


@dataclass
class Me:
    """One message the user types (or `#N`, a button press, exactly as in the terminal)."""

    text: str
    line: int


@dataclass
class Bot:
    """What the bot's answer to the previous message must contain, and must not."""

    expect: list[str] = field(default_factory=list)
    line: int = 0


@dataclass
class Db:
    """A fact about the database at this point of the conversation."""

    fact: str
    line: int


@dataclass
class Given:
    """Set-up no conversation can make (a record deleted years ago), as SQL run right here."""

    sql: str
    line: int


@dataclass
class Restart:
    """The chat process ends (end of input) and a fresh one starts: nothing kept in memory."""

    line: int
    user: str | None = None  # someone else signs in (`#as` after the first step)


@dataclass
class Convo:
    """A parsed transcript: settings from the header, then the steps in order."""

    name: str
    user: str = "teacher1@demo.school"
    env: dict[str, str] = field(default_factory=dict)
    steps: list[Me | Bot | Db | Given | Restart] = field(default_factory=list)


def parse_convo(path: Path) -> Convo:
    """Parse `path`; a malformed line is an error naming the line."""
    convo = Convo(path.stem)
    current: Bot | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.rstrip()
        if line.startswith("#me"):
            current = None
            text = line[3:].strip()
            if not text:
                raise ValueError(f"{path.name}:{number}: `#me` needs the message on the same line")
            convo.steps.append(Me(text, number))
        elif line.startswith("#bot"):
            current = Bot(line=number)
            convo.steps.append(current)
            if line[4:].strip():
                current.expect.append(line[4:].strip())
        elif line.startswith("#db"):
            current = None
            convo.steps.append(Db(line[3:].strip(), number))
        elif line.startswith("#given"):
            current = None
            convo.steps.append(Given(line[6:].strip(), number))
        elif line.startswith("#restart"):
            current = None
            convo.steps.append(Restart(number))
        elif line.startswith("#as"):
            current = None
            if convo.steps:  # later in the file: this chat ends, one as that user starts
                convo.steps.append(Restart(number, line[3:].strip()))
            else:
                convo.user = line[3:].strip()
        elif line.startswith("#env"):
            key, _, value = line[4:].strip().partition("=")
            convo.env[key.strip()] = value.strip()
        elif line.startswith("##") or not line.strip():
            continue  # a comment, or a blank line between turns
        elif current is not None:
            current.expect.append(line.strip())
        else:
            raise ValueError(f"{path.name}:{number}: text outside a #bot block: {line!r}")
    return convo


def catalogue_pattern(key: str) -> re.Pattern[str]:
    """A catalogue sentence in any language, each `{placeholder}` matching anything."""
    alternatives = []
    for language in LANGUAGES:
        if key not in keys(language):
            continue
        plural = key in plural_keys(language)
        for text in (
            {sentence(language, key, n) for n in (1, 2, 5)} if plural else {sentence(language, key)}
        ):
            parts = re.split(r"\{[^{}]*\}", text)
            alternatives.append(".*?".join(re.escape(part) for part in parts))
    if not alternatives:
        raise KeyError(f"no catalogue key {key!r}")
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.DOTALL)


def matches(expectation: str, output: str) -> bool:
    """True when `output` meets one `#bot` line: a phrase, `@key`, or `!` before either (absent)."""
    negate = expectation.startswith("!")
    body = expectation[1:].strip() if negate else expectation
    if body.startswith("@"):
        found = catalogue_pattern(body[1:].strip()).search(output) is not None
    else:
        found = _plain(body) in _plain(output)
    return found != negate


def _plain(text: str) -> str:
    """Text without the bidi isolates names are wrapped in, so phrases can be typed plainly."""
    return text.replace("\u2066", "").replace("\u2069", "")
