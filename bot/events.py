"""Platform-neutral events in and replies out; adapters translate to and from these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.models import ChatPlatform


@dataclass(frozen=True)
class Incoming:
    """One thing a user did: typed text, a command, or a button (`action`)."""

    platform: ChatPlatform
    workspace_id: str
    external_user_id: str
    chat_id: str
    text: str = ""
    action: str | None = None
    event_id: str | None = None
    is_direct: bool = True
    # Text from a form field (Slack's edit modal): always data, even if it reads "cancel".
    literal: bool = False
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Files sent with the message (a roster CSV for `admin roster import`).
    attachments: tuple[Attachment, ...] = ()
    # The person's language as the platform knows it (Telegram language_code, Slack locale,
    # the terminal's LANG), for someone who has not chosen one with `lang`.
    language: str | None = None
    # The first message of a new terminal chat: the screen shows no earlier reply, so nothing
    # offered before it is there to press (Slack and Telegram keep the old messages in view).
    new_screen: bool = False

    @property
    def conversation_key(self) -> str:
        """One conversation per platform, workspace and user."""
        return f"{self.platform}:{self.workspace_id}:{self.external_user_id}"

    @property
    def event_key(self) -> str | None:
        """Deduplication key of the platform event, if the platform gave an id."""
        if self.event_id is None:
            return None
        return f"{self.platform}:{self.workspace_id}:{self.event_id}"


@dataclass(frozen=True)
class Button:
    """A choice; `action` is a stable id the dialogue understands (e.g. `choose:2`, `save`)."""

    label: str
    action: str


@dataclass(frozen=True)
class Attachment:
    """A file sent with a reply (a chart PNG, an export CSV) or received with a message."""

    filename: str
    content: bytes
    mime_type: str


@dataclass(frozen=True)
class Reply:
    """One message to send back, privately to the user unless `public` is set."""

    text: str
    buttons: tuple[Button, ...] = ()
    public: bool = False
    attachments: tuple[Attachment, ...] = ()
