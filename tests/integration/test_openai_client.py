"""The SDK client's JSON POST: the request the SDK builds, built once per endpoint, sent again."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest

from adapters.openai.client import AsyncOpenAI
from adapters.openai.transport import LeanAsyncClient
from tests.fakes.openai_server import FakeOpenAI

BODY: dict[str, Any] = {
    "model": "gpt-test",
    "messages": [{"role": "user", "content": "Student A לומד היטב"}],
    "response_format": {"type": "json_object"},
}


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture
async def client(fake: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    sdk = AsyncOpenAI(
        api_key="sk-test", base_url=fake.base_url, timeout=7.5, max_retries=0,
        http_client=LeanAsyncClient(timeout=7.5),
    )  # fmt: skip
    yield sdk
    await sdk.close()


def _comparable(headers: dict[str, str]) -> dict[str, str]:
    # Each body has its length; the SDK's own path also sends httpx2's client defaults.
    return {k: v for k, v in headers.items() if k not in ("content-length",)}


async def test_the_post_is_the_request_the_sdk_sends_but_for_the_body(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    await client.post("/chat/completions", body=BODY, cast_to=bytes)
    await client.post_json("/chat/completions", BODY)
    assert fake.requests[0] == fake.requests[1] == BODY
    assert _comparable(fake.headers[1]) == _comparable(fake.headers[0])
    assert fake.headers[1]["authorization"] == "Bearer sk-test"
    assert fake.headers[1]["x-stainless-read-timeout"] == "7.5"


async def test_the_request_is_built_once_per_endpoint(
    fake: FakeOpenAI, client: AsyncOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str] = []
    build = client._build_request

    def counting(options: Any, **kwargs: Any) -> Any:
        built.append(options.url)
        return build(options, **kwargs)

    monkeypatch.setattr(client, "_build_request", counting)
    questions = ["one", "two", "three", "four", "five"]
    for question in questions:
        body = {**BODY, "messages": [{"role": "user", "content": question}]}
        raw = await client.post_json("/chat/completions", body)
        assert json.loads(raw)["choices"]
    # The first call's, by the SDK's own request loop, and the one kept: no more after.
    assert built == ["/chat/completions", "/chat/completions"]
    assert [r["messages"][0]["content"] for r in fake.requests] == questions


async def test_a_status_error_is_the_sdks_own(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.push_error(429, {"error": {"message": "slow down"}}, headers={"retry-after-ms": "250"})
    with pytest.raises(openai.RateLimitError) as raised:
        await client.post_json("/chat/completions", BODY)
    assert raised.value.response.headers["retry-after-ms"] == "250"
    assert "slow down" in str(raised.value)


async def test_a_compressed_body_is_read_decoded(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    payload = json.dumps({"choices": []}).encode()
    fake.push_body(gzip.compress(payload), content_type="application/json",
                   content_encoding="gzip")  # fmt: skip
    assert await client.post_json("/chat/completions", BODY) == payload


async def test_a_client_with_sdk_retries_goes_the_sdks_whole_way(fake: FakeOpenAI) -> None:
    sdk = AsyncOpenAI(
        api_key="sk-test", base_url=fake.base_url, max_retries=2,
        http_client=LeanAsyncClient(timeout=5.0),
    )  # fmt: skip
    try:
        fake.push_error(500)
        raw = await sdk.post_json("/chat/completions", BODY)
    finally:
        await sdk.close()
    assert json.loads(raw)["choices"]
    # The SDK's retry counter went up: its own request loop sent both.
    assert [h["x-stainless-retry-count"] for h in fake.headers] == ["0", "1"]
