"""The JSON-lines formatter: one object per line, exceptions without their message."""

from __future__ import annotations

import io
import json
import logging

from adapters.logs import JsonLines, request_context


def _line(record_logger: logging.Logger, stream: io.StringIO) -> dict[str, object]:
    return json.loads(stream.getvalue().splitlines()[-1])


def test_an_exception_is_logged_as_its_type_and_frames_never_its_message() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    log = logging.getLogger("test.logs")
    log.addHandler(handler)
    log.propagate = False
    try:
        with request_context("telegram", "req-1"):
            try:
                raise ValueError("student Liam O'Brien said: I hate maths")
            except ValueError:
                log.exception("turn %s failed", 42)
    finally:
        log.removeHandler(handler)
    line = _line(log, stream)
    assert line["event"] == "turn %s failed" and line["args"] == [42]
    assert line["level"] == "ERROR" and line["platform"] == "telegram"
    assert line["request_id"] == "req-1" and line["exception"] == "ValueError"
    assert "Liam" not in stream.getvalue() and "maths" not in stream.getvalue()
    assert any("test_logs.py" in frame for frame in line["stack"])  # type: ignore[attr-defined]
