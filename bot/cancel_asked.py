"""A request to cancel said with a word around it ("oops, cancel", "cancel please", "wait,
stop", "סליחה, בטל"): still only that request, where a sentence that uses the word is text."""

from __future__ import annotations

from bot.commands import BY_VERB
from bot.everyday import CANCEL_AFTER, CANCEL_BEFORE, CANCEL_WORDS, INTENTS

_CANCELLING = BY_VERB["cancel"]
_CANCEL_SAID = INTENTS["cancel"] | {w.lower() for w in (*_CANCELLING.en, *_CANCELLING.he)}


def asks_to_cancel(phrase: str) -> bool:
    """True when `phrase` is only a request to cancel with an interjection or politeness around
    it ("oops cancel", "cancel please", "סליחה בטל"); "he cancels plans often" is an answer."""
    words = phrase.split()
    if len(words) > CANCEL_WORDS:
        return False
    while len(words) > 1 and words[0] in CANCEL_BEFORE:
        words.pop(0)
    while len(words) > 1 and words[-1] in CANCEL_AFTER:
        words.pop()
    return " ".join(words) in _CANCEL_SAID
