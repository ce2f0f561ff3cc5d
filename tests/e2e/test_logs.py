"""Logs are JSON lines with time, level, event, platform and request id, and a whole analysis
through Slack leaves neither the student's name nor anything the teacher typed in them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from adapters.logs import configure_logging
from tests.e2e import test_slack as served
from tests.e2e.test_slack import DM, Rig
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack_server import buttons

fake_slack, slack = served.fake_slack, served.slack
ANSWER = "He loves reading about volcanoes with his grandmother"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Everything logged during the test, as configured in production but at DEBUG."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure_logging("DEBUG", stream)
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])


async def test_a_whole_analysis_logs_json_lines_without_the_students_name_or_answers(
    slack: Rig, fake_ai: FakeOpenAI, log_lines: io.StringIO
) -> None:
    fake = slack.fake
    await slack.dm("analyze O")
    choose = (await fake.wait_messages(DM, 2))[1]  # after the first contact's welcome
    liam = next(action for label, action in buttons(choose).items() if "Liam" in label)
    fake_ai.push_question("What does Student A enjoy most in class?")
    await slack.click(choose, liam)
    await fake.wait_messages(DM, 4)
    fake_ai.push_question("Where does Student A struggle?")
    await slack.dm(ANSWER)
    question = (await fake.wait_messages(DM, 5))[4]
    await slack.click(question, "ge:finish")
    review = (await fake.wait_messages(DM, 7))[6]
    await slack.click(review, "ge:save")
    await fake.wait_messages(DM, 8)
    logging.getLogger("tests").warning("probe %s", "done")

    text = log_lines.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert {"event": "probe %s", "args": ["done"], "level": "WARNING"}.items() <= lines[-1].items()
    for line in lines:
        assert {"time", "level", "event", "logger"} <= set(line)
    requests = [line for line in lines if line["event"] == "request"]
    assert len(requests) >= 5
    assert all(r["platform"] == "slack" and r["status"] == 200 for r in requests)
    assert len({r["request_id"] for r in requests}) == len(requests)
    for secret in ("Liam", "O'Brien", "Brien", "volcanoes", "grandmother"):
        assert secret not in text, secret
