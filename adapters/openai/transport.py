"""The HTTP client the openai SDK sends through: one aiohttp session, no per-call layers on top.

The SDK stays the client (its request building, errors, status handling). What it is given
is an httpx2 client whose `send` hands a plain request (no auth flow, no redirects: the API
answers in place) straight to an aiohttp transport that reads the whole body in one go and
returns it as the response's content. The SDK's own aiohttp transport streams the body in
chunks through two wrappers and rebuilds its headers per call; with its auth and redirect
layers that was about a fifth of the model call's client CPU, paid on every exchange.
Timeouts and connection failures come out as httpx2's exceptions, which the SDK turns into
APITimeoutError and APIConnectionError as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx2

# aiohttp's failures as the httpx2 exceptions the SDK maps (first match wins).
_ERRORS: tuple[tuple[type[BaseException], type[httpx2.TransportError]], ...] = (
    (TimeoutError, httpx2.ReadTimeout),  # aiohttp's timeouts subclass it
    (aiohttp.ClientConnectorError, httpx2.ConnectError),
    (aiohttp.ClientPayloadError, httpx2.ReadError),
    (aiohttp.ClientError, httpx2.NetworkError),
)


@dataclass(frozen=True)
class PreparedPost:
    """A request the SDK built once, sent again with other JSON bodies: only the body changes.

    Its URL, headers (auth, content type, user agent, retry count, read timeout) and timeouts
    are the SDK's own for that endpoint; `request` is what the SDK's exceptions name.
    """

    request: httpx2.Request
    url: str
    headers: tuple[tuple[str, str], ...]  # without Content-Length: each body has its own
    timeout: aiohttp.ClientTimeout


class _AiohttpTransport(httpx2.AsyncBaseTransport):
    """Sends an httpx2 request over one aiohttp session; the body is read whole."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[Any, ...], aiohttp.ClientTimeout] = {}

    def _timeout(self, request: httpx2.Request) -> aiohttp.ClientTimeout:
        given = request.extensions.get("timeout") or {}
        key = (given.get("connect"), given.get("read"), given.get("pool"))
        timeout = self._timeouts.get(key)
        if timeout is None:
            # As the SDK's own transport maps them: per socket read, per connect, pool wait.
            timeout = aiohttp.ClientTimeout(sock_connect=key[0], sock_read=key[1], connect=key[2])
            self._timeouts[key] = timeout
        return timeout

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        """One request, its whole response read."""
        status, headers, body = await self.send_raw(
            request, str(request.url), request.headers.multi_items(), request.content or None,
            self._timeout(request),
        )  # fmt: skip
        # The body stays as sent (gzip included): httpx2 decodes it by its content-encoding.
        return httpx2.Response(status, headers=headers, content=body, request=request)

    def prepare(self, request: httpx2.Request) -> PreparedPost:
        """`request` kept to send again with other bodies (see PreparedPost)."""
        headers = tuple(
            (name, value) for name, value in request.headers.multi_items()
            if name.lower() != "content-length"
        )  # fmt: skip
        return PreparedPost(request, str(request.url), headers, self._timeout(request))

    async def send_raw(
        self,
        request: httpx2.Request,
        url: str,
        headers: Sequence[tuple[str, str]],
        body: bytes | None,
        limits: aiohttp.ClientTimeout,
    ) -> tuple[int, Any, bytes]:
        """Status, raw headers and whole body; aiohttp's failures as httpx2's, naming `request`."""
        if self._session is None:
            self._session = aiohttp.ClientSession(auto_decompress=False)
        try:
            async with self._session.request(
                request.method, url, headers=headers, data=body, allow_redirects=False,
                timeout=limits,
            ) as answer:  # fmt: skip
                return answer.status, answer.raw_headers, await answer.read()
        except Exception as error:
            for cause, mapped in _ERRORS:
                if isinstance(error, cause):
                    raise mapped(str(error) or type(error).__name__, request=request) from error
            raise

    async def aclose(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None


class OwnedMemo:
    """Values worked out from an owner (a base URL, a client's headers) by key, kept while the
    owner is the same object (a new one empties them), at most `size`.

    The URLs a client sends to are a handful (the API's endpoints), and so are the header lists
    the SDK sends: each is worked out once instead of on every model call.
    """

    def __init__(self, size: int = 64) -> None:
        self._owner: object = None
        self._known: dict[Any, Any] = {}
        self._size = size

    def get(self, owner: object, key: Any, compute: Callable[[], Any]) -> Any:
        """The value for `key` under `owner`, computed the first time it is asked."""
        if owner is not self._owner:
            self._owner, self._known = owner, {}
        found = self._known.get(key)
        if found is None:
            found = compute()
            if len(self._known) < self._size:
                self._known[key] = found
        return found


class LeanAsyncClient(httpx2.AsyncClient):
    """An httpx2 client for the openai SDK over `_AiohttpTransport`, plain sends short-cut."""

    def __init__(self, *, timeout: float) -> None:
        """Requests time out as the SDK says per call (`timeout` when it says nothing)."""
        transport = _AiohttpTransport()
        super().__init__(timeout=timeout, follow_redirects=False, transport=transport)
        self._lean = transport
        self._urls = OwnedMemo()
        self._merged_headers = OwnedMemo()

    def _merge_headers(self, headers: Any = None) -> Any:
        """As httpx2 merges them, each distinct header list merged once.

        The SDK sends the same headers on every call (auth, content type, user agent, retry
        count, read timeout): normalising and merging them was a fifth of building a request.
        Requests copy what this returns (httpx2.Request makes Headers of its own), so the
        kept Headers are never changed.
        """
        if not isinstance(headers, list):
            return super()._merge_headers(headers)
        merge = super()._merge_headers
        return self._merged_headers.get(self.headers, tuple(headers), lambda: merge(headers))

    def _merge_url(self, url: httpx2.URL | str) -> httpx2.URL:
        """As httpx2 merges it, each URL string parsed once (URLs are immutable).

        Parsing a URL was a tenth of the SDK's request building, paid on every model call.
        """
        if not isinstance(url, str):
            return super()._merge_url(url)
        merge = super()._merge_url
        merged: httpx2.URL = self._urls.get(self.base_url, url, lambda: merge(url))
        return merged

    def prepare(self, request: httpx2.Request) -> PreparedPost:
        """`request`, as built by the SDK, kept to send again with other bodies."""
        return self._lean.prepare(request)

    async def post_prepared(self, prepared: PreparedPost, body: bytes) -> tuple[int, Any, bytes]:
        """`prepared` with `body`: status, raw headers and the whole body (not decoded).

        Failures raise as `send` raises them (httpx2's exceptions).
        """
        return await self._lean.send_raw(
            prepared.request, prepared.url, prepared.headers, body, prepared.timeout
        )

    async def send(
        self, request: httpx2.Request, *, stream: bool = False, **kwargs: Any
    ) -> httpx2.Response:
        """A plain request straight to the transport; anything else as httpx2 sends it."""
        plain = not stream and kwargs.get("auth") is None and not kwargs.get("follow_redirects")
        if not plain:
            return await super().send(request, stream=stream, **kwargs)
        response = await self._lean.handle_async_request(request)
        return response
