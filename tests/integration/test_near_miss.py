"""The did-you-mean button of a misspelt command runs it; pressed after another message (an old
Telegram button, say), it runs nothing: the person has moved on."""

from __future__ import annotations

from tests.dialogue_fixtures import Chat
from tests.integration.test_every_offer import says


async def test_the_button_runs_the_command_as_written(chat: Chat) -> None:
    await chat.say("lang en")
    [offer] = await chat.say("histroy Liam")
    assert says(offer, "did_you_mean_typo"), offer.text
    [history] = await chat.say(action=offer.buttons[0].action)
    assert says(history, "history_title"), history.text
    [offer] = await chat.say("hlep")
    [listed] = await chat.say(action=offer.buttons[1].action)
    assert says(listed, "help_teacher"), listed.text


async def test_an_old_button_runs_nothing(chat: Chat) -> None:
    await chat.say("lang en")
    [offer] = await chat.say("histroy Liam")
    await chat.say("hello")
    replies = await chat.say(action=offer.buttons[0].action)
    assert not any(says(reply, "history_title") for reply in replies)
