"""python-telegram-bot's Bot API calls over aiohttp instead of httpx.

PTB's own transport (HTTPXRequest) took about a tenth of serve's CPU at 100 conversations, more
than the model call: every reply is one sendMessage. BaseRequest is PTB's documented extension
point for another networking backend; this one keeps HTTPXRequest's behaviour (form-encoded
parameters, multipart when a file goes along, the same default timeouts, TimedOut and
NetworkError for what fails) on aiohttp's C-accelerated client, as the OpenAI client already is.
"""

from __future__ import annotations

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_DEFAULT = BaseRequest.DEFAULT_NONE


def _seconds(given: object, default: float) -> float:
    """A call's timeout, or the transport's default when the call left it unset."""
    return default if given is _DEFAULT or not isinstance(given, int | float) else float(given)


class AiohttpRequest(BaseRequest):
    """A BaseRequest on one aiohttp session with a bounded connection pool."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 256,
        read_timeout: float = 5.0,
        write_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        pool_timeout: float = 1.0,
        media_write_timeout: float = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        """The default read timeout."""
        return self._read

    async def initialize(self) -> None:
        """Open the session (again, after a shutdown)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = _DEFAULT,
        write_timeout: object = _DEFAULT,
        connect_timeout: object = _DEFAULT,
        pool_timeout: object = _DEFAULT,
    ) -> tuple[int, bytes]:
        """Make one Bot API request: its status and body."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        data: aiohttp.FormData | dict[str, str] | None = fields
        if files:
            form = aiohttp.FormData()
            for name, value in (fields or {}).items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in files.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            data = form
        write = _seconds(write_timeout, self._media_write if files else self._write)
        read = _seconds(read_timeout, self._read)
        timeout = aiohttp.ClientTimeout(
            # aiohttp has no write timeout of its own: the request as a whole gets both.
            total=read + write + _seconds(connect_timeout, self._connect),
            connect=_seconds(pool_timeout, self._pool) + _seconds(connect_timeout, self._connect),
            sock_connect=_seconds(connect_timeout, self._connect),
            sock_read=read,
        )
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error
