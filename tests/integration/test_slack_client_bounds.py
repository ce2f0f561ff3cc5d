"""The Slack client's per-user DM cache is bounded: the least recently used user is forgotten."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from adapters.pacing import Pacer
from adapters.slack.client import SlackOut
from tests.fakes.slack_server import BOT_TOKEN, TEAM, FakeSlack


async def test_dm_cache_keeps_at_most_its_bound_and_drops_the_least_recently_used() -> None:
    async with FakeSlack() as fake:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.base_url)
        out = SlackOut(client, Pacer(per_chat_seconds=0.0), dm_cache_size=2)

        def opens() -> int:
            return sum(1 for call in fake.calls if call.method == "conversations.open")

        assert await out.dm_channel(TEAM, "U1") == "DU1"
        assert await out.dm_channel(TEAM, "U2") == "DU2"
        assert await out.dm_channel(TEAM, "U1") == "DU1"  # cached, and now the most recent
        assert opens() == 2
        assert await out.dm_channel(TEAM, "U3") == "DU3"  # evicts U2, the least recent
        assert opens() == 3
        assert await out.dm_channel(TEAM, "U1") == "DU1"
        assert opens() == 3
        assert await out.dm_channel(TEAM, "U2") == "DU2"  # forgotten: asked again
        assert opens() == 4
