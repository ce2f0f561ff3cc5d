"""Slack: a Bolt AsyncApp on the serve process's aiohttp app (POST /slack/events), or Socket Mode.

Every request is verified (bad or stale signature: 401; over Socket Mode, the app token's
websocket) and checked like any webhook body (adapters/http_guard.py), then acknowledged once
its turn is stored in the inbox (an error status when it cannot be, so Slack retries); the turn
then runs in order in serve's pipeline and its replies are posted with chat.postMessage, to the
user's DM unless they are a public one-line notice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.http_app import PIPELINE_KEY, TaskTracker
from adapters.http_guard import slack_request
from adapters.metrics import Metrics
from adapters.pacing import Pacer
from adapters.settings import Settings
from adapters.slack import actions, commands, events
from adapters.slack.client import SlackOut
from adapters.slack.identity import refuse_workspace
from adapters.slack.socket_mode import GuardedSocketModeHandler
from adapters.slack.turns import PLATFORM, TurnRunner
from bot.engine import DialogueEngine

__all__ = ["EVENTS_PATH", "register"]

EVENTS_PATH = "/slack/events"


def register(
    app: web.Application,
    *,
    engine: DialogueEngine,
    settings: Settings,
    metrics: Metrics,
    tasks: TaskTracker,
) -> None:
    """Mount Slack on `app`; with SLACK_APP_TOKEN also connect over Socket Mode."""
    client = AsyncWebClient(token=settings.SLACK_BOT_TOKEN, base_url=settings.SLACK_API_URL)
    bolt_app = AsyncApp(
        client=client,  # it carries the token; giving Bolt both makes it warn
        signing_secret=settings.SLACK_SIGNING_SECRET,
        # Listeners store the turn before Bolt answers: the ack means the turn is kept.
        process_before_response=True,
        request_verification_enabled=True,
    )
    runner = TurnRunner(
        engine=engine,
        out=SlackOut(client, Pacer()),
        tasks=tasks,
        metrics=metrics,
        default_language=settings.DEFAULT_LANGUAGE,
        pipeline=app[PIPELINE_KEY],
    )
    _serve_only(bolt_app, engine, settings.SLACK_ALLOWED_TEAMS)
    for listeners in (events, commands, actions):
        listeners.register(bolt_app, runner)

    async def handle(request: web.Request) -> web.Response:
        metrics.requests.labels(PLATFORM).inc()
        refusal = await slack_request(request, settings.SLACK_SIGNING_SECRET)
        if refusal is not None:
            return refusal
        response = await bolt_app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    app.router.add_post(EVENTS_PATH, handle)
    _one_http_session(app, client)
    if settings.SLACK_APP_TOKEN:
        _socket_mode(app, bolt_app, settings.SLACK_APP_TOKEN, metrics)


def _one_http_session(app: web.Application, client: AsyncWebClient) -> None:
    """Every Web API call over one aiohttp session while the app runs (kept-alive connections).

    Without one, slack_sdk opens a session, so a TCP connection, for each call and closes it
    after: in serve under load, connecting and closing was a tenth of the process's CPU.
    """

    async def open_session(app: web.Application) -> None:
        client.session = aiohttp.ClientSession()

    async def close_session(app: web.Application) -> None:
        session, client.session = client.session, None
        if session is not None:
            await session.close()

    app.on_startup.append(open_session)
    app.on_cleanup.append(close_session)  # after shutdown has drained the replies


def _serve_only(bolt_app: AsyncApp, engine: DialogueEngine, teams: frozenset[str]) -> None:
    """Refuse (acknowledged, audited, nothing done) any request from another workspace."""

    @bolt_app.middleware
    async def allowed_workspaces_only(
        req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        team = req.context.team_id or ""
        if team in teams:
            return await next()
        await refuse_workspace(engine, team, req.context.user_id or "")
        # 200: Slack would retry anything else, and the sender learns nothing.
        return BoltResponse(status=200, body="")


def _socket_mode(
    app: web.Application, bolt_app: AsyncApp, app_token: str, metrics: Metrics
) -> None:
    handler = GuardedSocketModeHandler(bolt_app, app_token)

    @bolt_app.middleware
    async def count_socket_requests(
        req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        if req.mode == "socket_mode":  # HTTP requests are counted by the route
            metrics.requests.labels(PLATFORM).inc()
        return await next()

    async def connect(app: web.Application) -> None:
        await handler.connect_async()

    async def disconnect(app: web.Application) -> None:
        await handler.close_async()

    app.on_startup.append(connect)
    # First on shutdown: stop taking events before the turns in flight are drained.
    app.on_shutdown.insert(0, disconnect)
