"""A Telegram that posts updates to a webhook and, like the real one, redelivers on non-2xx.

Telegram keeps an update until the webhook answers 2xx, retrying after a failure (an error
status, a refused connection, a timeout). Each `send` runs in the background until its update
is acknowledged, recording every attempt's status, so a test can stop and start the server,
its database or Redis in between and see what the platform saw.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from adapters.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH
from tests.fakes.telegram_server import message_update

RETRY_SECONDS = 0.5


@dataclass
class Delivery:
    """One update and what became of its attempts."""

    user_id: int
    text: str
    update_id: int
    statuses: list[int] = field(default_factory=list)  # 0: no answer (refused, timed out)
    acked_at: float | None = None
    task: asyncio.Task[None] | None = None


class RedeliveringTelegram:
    """Posts updates to `base_url`'s webhook until each is acknowledged with 2xx."""

    def __init__(self, http: aiohttp.ClientSession, secret: str, base_url: str = "") -> None:
        self.http = http
        self.secret = secret
        self.base_url = base_url
        self.deliveries: list[Delivery] = []
        self._ids = itertools.count(1)

    def send(self, text: str, *, user_id: int, **kwargs: Any) -> Delivery:
        """Deliver a text message in the background (redelivered until acknowledged)."""
        delivery = Delivery(user_id, text, next(self._ids))
        update = message_update(delivery.update_id, text, user_id=user_id, **kwargs)
        delivery.task = asyncio.create_task(self._deliver(delivery, update))
        self.deliveries.append(delivery)
        return delivery

    async def _deliver(self, delivery: Delivery, update: dict[str, Any]) -> None:
        timeout = aiohttp.ClientTimeout(total=5)
        while True:
            try:
                async with self.http.post(
                    f"{self.base_url}{WEBHOOK_PATH}", json=update,
                    headers={SECRET_HEADER: self.secret}, timeout=timeout,
                ) as response:  # fmt: skip
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0
            delivery.statuses.append(status)
            if 200 <= status < 300:
                delivery.acked_at = time.monotonic()
                return
            await asyncio.sleep(RETRY_SECONDS)

    async def all_acknowledged(self, within: float = 60.0) -> None:
        """Wait until every delivery so far was acknowledged."""
        tasks = [d.task for d in self.deliveries if d.task is not None]
        if tasks:
            await asyncio.wait_for(asyncio.gather(*tasks), within)
