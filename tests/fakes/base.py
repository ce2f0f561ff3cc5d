"""FakeServer: the start/stop of a fake's aiohttp app on 127.0.0.1 at a random port."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

from aiohttp import web


class FakeServer(ABC):
    """A local HTTP server for a fake service; subclasses add routes; use `async with`."""

    # Appended to the server's root to make `base_url`, the URL a client is configured with.
    url_path = ""

    def __init__(self) -> None:
        self.root = ""
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    @abstractmethod
    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Register the fake's handlers."""

    async def close_connections(self) -> None:  # noqa: B027 - optional hook, default no-op
        """Close what the fake holds open (e.g. websockets) before the server stops."""

    async def __aenter__(self) -> Self:
        app = web.Application()
        self.add_routes(app.router)
        # Cancel a handler when its client gives up (a slow reply, a long poll), so shutdown
        # is quick.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.root = f"http://{host}:{port}"
        self.base_url = self.root + self.url_path
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close_connections()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
