"""Process settings from the environment and an optional `.env`; built by the composition root."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class SettingsError(Exception):
    """A setting has a bad value; the message is one line naming the variable."""


class Settings(BaseSettings):
    """Every knob of Growth Engine; names are the environment variable names."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=True
    )

    DATABASE_URL: str | None = None
    # A streaming replica of DATABASE_URL for read-only work (core/read_uow.py); unset: primary.
    DATABASE_REPLICA_URL: str | None = None
    # The migration owner, used only by `growth-engine db upgrade|downgrade|roles`; the
    # application connects with DATABASE_URL (a role without DDL). Unset: DATABASE_URL.
    DATABASE_OWNER_URL: str | None = None
    # Bounds on every wait for PostgreSQL and Redis: connecting, and one command's answer.
    DATABASE_CONNECT_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0)
    DATABASE_COMMAND_TIMEOUT_SECONDS: float = Field(default=30.0, gt=0)
    REDIS_CONNECT_TIMEOUT_SECONDS: float = Field(default=5.0, gt=0)
    REDIS_COMMAND_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0)
    REDIS_URL: str | None = None
    DATA_DIR: Path = Path("./.data")

    OPENAI_API_KEY: str | None = None
    OPENAI_BASE_URL: str | None = None
    OPENAI_MODEL: str = "gpt-4o-mini"
    OPENAI_TIMEOUT_SECONDS: float = Field(default=60.0, gt=0)
    OPENAI_MAX_RETRIES: int = Field(default=3, ge=0)

    # USD per million tokens (prompt, completion), for analyses.estimated_cost.
    AI_PRICES: dict[str, tuple[float, float]] = {
        "gpt-4o-mini": (0.15, 0.60),
        "gpt-4o": (2.50, 10.00),
        "gpt-4.1-mini": (0.40, 1.60),
        "offline-analyst": (0.0, 0.0),
    }
    INTERVIEW_MIN_QUESTIONS: int = Field(default=3, ge=1)
    INTERVIEW_MAX_QUESTIONS: int = Field(default=8, ge=1)
    INTERVIEW_IDLE_HOURS: float = Field(default=24.0, gt=0)
    INTERVIEW_REMIND_HOURS: float = Field(default=6.0, gt=0)

    SLACK_BOT_TOKEN: str | None = None
    SLACK_SIGNING_SECRET: str | None = None
    SLACK_APP_TOKEN: str | None = None
    SLACK_API_URL: str = "https://slack.com/api/"
    # Slack workspace (team) ids whose events are served; required when Slack is configured.
    # Comma-separated in the environment: SLACK_ALLOWED_TEAMS=T0123,T0456.
    SLACK_ALLOWED_TEAMS: Annotated[frozenset[str], NoDecode] = frozenset()

    TELEGRAM_BOT_TOKEN: str | None = None
    TELEGRAM_API_BASE_URL: str = "https://api.telegram.org/bot"
    TELEGRAM_WEBHOOK_SECRET: str | None = None

    HTTP_HOST: str = "127.0.0.1"
    HTTP_PORT: int = Field(default=8080, ge=1, le=65535)
    # Turns worked on at once per process (the model's answer time not counted); more wait, so
    # acknowledgements stay fast in a burst. The database pool is sized from it (adapters/wiring).
    MAX_CONCURRENT_TURNS: int = Field(default=8, ge=1)
    # One deadline for all model calls of a turn (retries included); the conversation lock's
    # short lease is renewed while a turn runs, and only up to this deadline plus a margin.
    TURN_DEADLINE_SECONDS: float = Field(default=90.0, gt=0)
    LOCK_LEASE_SECONDS: float = Field(default=10.0, gt=0)
    # How often serve looks for events and replies a dead process left, and how long answered
    # events are kept against redelivery (Telegram redelivers for up to 24 hours).
    INBOX_SWEEP_SECONDS: float = Field(default=2.0, gt=0)
    INBOX_RETENTION_HOURS: float = Field(default=48.0, gt=0)
    DEFAULT_LANGUAGE: Literal["he", "en"] = "he"
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("SLACK_ALLOWED_TEAMS", mode="before")
    @classmethod
    def _team_list(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @model_validator(mode="after")
    def _slack_needs_teams(self) -> Settings:
        if self.SLACK_BOT_TOKEN and not self.SLACK_ALLOWED_TEAMS:
            raise ValueError(
                "SLACK_ALLOWED_TEAMS is required when SLACK_BOT_TOKEN is set "
                "(the Slack workspace ids to serve, comma-separated)"
            )
        return self

    @field_validator("DATABASE_URL", "DATABASE_REPLICA_URL", "DATABASE_OWNER_URL")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("postgresql://", "postgresql+asyncpg://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("REDIS_URL")
    @classmethod
    def _redis_only(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning a validation failure into one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "settings"
        raise SettingsError(f"Bad setting {name}: {first['msg']}") from None
