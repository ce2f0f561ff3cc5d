"""A short request to cancel with a word around it is cancel; a sentence using the word is not."""

from __future__ import annotations

import pytest

from bot.reading import intent


@pytest.mark.parametrize(
    "said",
    ["oops, cancel", "cancel please", "wait, stop", "sorry, never mind", "סליחה, בטל",
     "אופס, ביטול", "רגע, עצור", "just cancel it please"],
)  # fmt: skip
def test_a_cancel_request_with_a_word_around_it_is_cancel(said: str) -> None:
    assert intent(said) == "cancel"


@pytest.mark.parametrize(
    "said",
    ["he cancels plans often", "cancel his plans", "לא לבטל", "די טוב", "wait",
     "oops", "I want to cancel this plan eventually, he said"],
)  # fmt: skip
def test_a_sentence_that_uses_the_word_is_no_request(said: str) -> None:
    assert intent(said) is None
