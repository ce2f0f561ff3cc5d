"""Slack identities are bound to the workspace: other workspaces are refused and audited, only
a workspace-confirmed email links by itself, and anyone else links with an invite code."""

from __future__ import annotations

import json

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import isolate, t
from core.actor import system_actor
from core.services.linking import create_link_code
from tests.e2e import test_slack as served
from tests.e2e.test_slack import STRANGER, TEACHER, Rig
from tests.fakes.slack_server import event_callback, im_message, signed, text_of
from tests.service_fixtures import seeding

OTHER_TEAM = "T0INTRUDER"
# The served app and the fake Slack of the main Slack tests, as fixtures here too.
fake_slack, slack = served.fake_slack, served.slack


async def test_an_event_from_a_workspace_not_allowed_is_acknowledged_refused_and_audited(
    slack: Rig, raw: asyncpg.Connection
) -> None:
    body = json.loads(event_callback(im_message(TEACHER, "analyze Liam"), "EvForeign1"))
    body["team_id"] = OTHER_TEAM
    body["authorizations"][0]["team_id"] = OTHER_TEAM
    text = json.dumps(body)
    status, _ = await slack.post(text, "application/json", signed(text))
    assert status == 200
    refused = await raw.fetchrow(
        "SELECT * FROM audit_logs WHERE metadata->>'reason' = 'workspace_not_allowed'"
    )
    assert refused["resource"] == "Workspace" and refused["resource_id"] == OTHER_TEAM
    assert json.loads(refused["metadata"])["denied"] is True
    # Nothing else happened: no lookup of the user, no reply, no account, no state.
    assert slack.fake.called("users.info") == []
    assert slack.fake.messages() == []
    assert await raw.fetchval("SELECT count(*) FROM chat_identities") == 0
    assert await raw.fetchval("SELECT count(*) FROM dialogue_states") == 0


async def test_a_profile_email_the_workspace_has_not_confirmed_links_nobody(
    slack: Rig, raw: asyncpg.Connection
) -> None:
    slack.fake.add_user(STRANGER, "admin@demo.school", email_confirmed=False)
    await slack.dm("analyze Liam", user=STRANGER)
    [reply] = await slack.fake.wait_messages(f"D{STRANGER}", 1)
    assert text_of(reply) == t("en", "slack_no_account", email=isolate("admin@demo.school"))
    assert await raw.fetchval("SELECT count(*) FROM chat_identities") == 0


async def test_a_member_without_a_confirmed_email_links_with_an_invite_code(
    slack: Rig, raw: asyncpg.Connection, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    slack.fake.add_user(STRANGER, None)
    async with seeding(session_factory) as uow:
        code = await create_link_code(uow=uow, actor=system_actor(), email="teacher2@demo.school")
    await slack.dm("link not-the-right-code", user=STRANGER)
    await slack.dm(f"link {code}", user=STRANGER)
    unknown, welcome = await slack.fake.wait_messages(f"D{STRANGER}", 2)
    assert text_of(unknown) == t("en", "link_unknown")
    assert "Michael Green" in text_of(welcome)
    linked = await raw.fetchrow(
        "SELECT i.workspace_id, u.email FROM chat_identities i JOIN users u ON u.id = i.user_id"
    )
    assert tuple(linked) == ("T0DEMO", "teacher2@demo.school")
