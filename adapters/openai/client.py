"""The SDK's client as the provider uses it: URLs merged once, and JSON POSTs built once.

The openai package stays the client: it builds each endpoint's request (URL, auth, headers,
timeouts) and makes every error (status errors from the response, timeouts, connection
failures). What it no longer does per call is build that same request again: its request
options, header merging and request objects were about half of an exchange's model-call CPU,
paid on every call for a request that differs only in its body.
"""

from __future__ import annotations

import json
from typing import Any, cast

import httpx2
import openai
from openai._models import FinalRequestOptions

from adapters.openai.transport import LeanAsyncClient, OwnedMemo, PreparedPost


class AsyncOpenAI(openai.AsyncOpenAI):
    """The SDK's client, each endpoint's URL merged with the base URL once (see transport.py),
    and a JSON POST that sends the request the SDK built for that endpoint with a new body.

    Named as the SDK's class: the SDK's User-Agent header is made from the class name.
    """

    _urls: OwnedMemo | None = None
    # Per path, the request the SDK built for it (None: not plain, the SDK's whole way). The
    # client's settings (key, base URL, headers, timeout) are fixed once it is made: the SDK
    # makes a new client for other settings (`with_options`), and the provider never changes
    # them.
    _prepared: dict[str, PreparedPost | None] | None = None

    def _prepare_url(self, url: str) -> Any:
        if self._urls is None:
            self._urls = OwnedMemo()
        prepare = super()._prepare_url
        return self._urls.get(self.base_url, url, lambda: prepare(url))

    def _plain(self) -> bool:
        """A static API key, no SDK retries, our transport: every POST to a path is the same
        request but for its body (no per-call auth, hook, retry count or idempotency key)."""
        extras = ("_provider_runtime", "_api_key_provider", "_workload_identity_auth",
                  "_idempotency_header")  # fmt: skip
        return (
            isinstance(self._client, LeanAsyncClient)
            and self.max_retries == 0
            and isinstance(self.api_key, str)
            # An SDK without one of these attributes is not known to be plain: the SDK's way.
            and all(getattr(self, name, True) is None for name in extras)
            and self.custom_auth is None
        )

    async def post_json(self, path: str, body: dict[str, Any]) -> bytes:
        """POST `body` as JSON to `path`: the response body, or the SDK's own exceptions.

        The first call to a path goes the SDK's whole way; then the request the SDK builds
        for that path (its URL, auth and headers) is kept and sent again with each body: per
        call, only the body is encoded and the answer read. A client that is not plain (see
        `_plain`) always goes the SDK's whole way.
        """
        known = self._prepared or {}
        prepared = known.get(path)
        if prepared is None:
            raw: bytes = await self.post(path, body=body, cast_to=bytes)
            if path not in known:
                self._remember(path)
            return raw
        # As the SDK encodes a JSON body (openai._utils._json.openapi_dumps).
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        lean = cast(LeanAsyncClient, self._client)
        try:
            status, headers, answer = await lean.post_prepared(prepared, content.encode())
        except httpx2.TimeoutException as error:
            raise openai.APITimeoutError(request=prepared.request) from error
        except httpx2.RequestError as error:
            raise openai.APIConnectionError(request=prepared.request) from error
        if 200 <= status < 300 and not _encoded(headers):
            return answer
        response = httpx2.Response(
            status, headers=headers, content=answer, request=prepared.request
        )
        if response.is_success:
            return response.content  # decoded by its content-encoding, as the SDK reads it
        raise self._make_status_error_from_response(response)

    def _remember(self, path: str) -> None:
        """The request the SDK builds for `path`, after it sent one (its platform is read)."""
        prepared = None
        if self._plain():
            options = FinalRequestOptions.construct(method="post", url=path, json_data={})
            request = self._build_request(options, retries_taken=0)
            prepared = cast(LeanAsyncClient, self._client).prepare(request)
        self._prepared = {**(self._prepared or {}), path: prepared}


def _encoded(headers: Any) -> bool:
    """Whether raw response headers name a content-encoding (the body is then decoded)."""
    return any(name.lower() == b"content-encoding" for name, _value in headers)
