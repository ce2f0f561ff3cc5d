"""Structured logs: one JSON object per line on stderr, configured once by the composition root.

Each line has `time` (UTC, ISO 8601), `level`, `event` (the message template, stable for
searching), `logger`, and, when known, `platform` and `request_id` (set per request by the HTTP
middleware below and inherited by the tasks a request starts). Student names and message text
must never reach a log line: exceptions are written as their type and stack frames only,
because database errors quote the statement's parameters (names, answers) in their message.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

from aiohttp import web

PLATFORM: ContextVar[str | None] = ContextVar("log_platform", default=None)
REQUEST_ID: ContextVar[str | None] = ContextVar("log_request_id", default=None)
# Log record attributes that are not ours to copy into the line.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonLines(logging.Formatter):
    """A log record as one JSON line; see the module docstring for the fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The line for `record`."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "event": str(record.msg),
            "logger": record.name,
            "platform": getattr(record, "platform", None) or PLATFORM.get(),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        if record.args:
            line["args"] = [_safe(arg) for arg in _as_tuple(record.args)]
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line:
                line[key] = _safe(value)
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, tb = record.exc_info
            line["exception"] = kind.__qualname__
            line["stack"] = [
                f"{frame.filename}:{frame.lineno} {frame.name}"
                for frame in traceback.extract_tb(tb)
            ]
        return json.dumps({k: v for k, v in line.items() if v is not None}, ensure_ascii=False)


def _as_tuple(args: Any) -> tuple[Any, ...]:
    return args if isinstance(args, tuple) else (args,)


def _safe(value: Any) -> Any:
    """Identifiers and numbers as they are; an exception as its type only (see above)."""
    if isinstance(value, BaseException):
        return type(value).__qualname__
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def configure_logging(level: str = "INFO", stream: IO[str] | None = None) -> None:
    """Send every logger's records at `level` and above to `stream` (stderr) as JSON lines."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries that log statements with their parameters, request bodies or message text at
    # INFO or DEBUG never go below WARNING, whatever LOG_LEVEL says.
    for noisy in (
        "sqlalchemy.engine", "sqlalchemy.pool", "asyncpg", "aiohttp.access", "aiohttp.client",
        "httpx", "httpcore", "openai", "slack_bolt", "slack_sdk", "telegram", "redis",
        "alembic.runtime.plugins",
    ):  # fmt: skip
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


@contextmanager
def request_context(platform: str | None, request_id: str | None = None) -> Iterator[str]:
    """Tag the log lines of this block (and of tasks it starts) with platform and request id."""
    rid = request_id or uuid.uuid4().hex[:16]
    tokens = (PLATFORM.set(platform), REQUEST_ID.set(rid))
    try:
        yield rid
    finally:
        PLATFORM.reset(tokens[0])
        REQUEST_ID.reset(tokens[1])


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def request_logging(request: web.Request, handler: Handler) -> web.StreamResponse:
    """One `request` line per HTTP request (path, status, ms); its id is the request's."""
    first = request.path.strip("/").split("/", 1)[0]
    platform = first if first in ("slack", "telegram") else None
    log = logging.getLogger("adapters.http")
    with request_context(platform, request.headers.get("X-Request-Id")) as rid:
        started = datetime.now(UTC)
        status = 500
        try:
            response = await handler(request)
            status = response.status
            response.headers["X-Request-Id"] = rid
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            took = (datetime.now(UTC) - started).total_seconds() * 1000
            log.info("request", extra={"path": request.path, "status": status, "ms": round(took)})
