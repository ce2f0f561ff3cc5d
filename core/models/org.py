"""Districts, schools and users (teachers, principals, admins)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Computed, Enum, ForeignKey, Index, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, created_at, deleted_at, updated_at, uuid_pk
from core.models.enums import AuthProvider, UserRole

SORT_KEY_SQL = "ge_sort_key(last_name, first_name)"
# A one-part name (a school, a class) sorts as a person's last name with no first name.
NAME_SORT_KEY_SQL = "ge_sort_key(name, '')"


class District(Base):
    __tablename__ = "districts"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str]
    code: Mapped[str] = mapped_column(unique=True)
    state: Mapped[str | None]
    country: Mapped[str] = mapped_column(server_default=text("'IL'"))
    settings: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    deleted_at: Mapped[datetime | None] = deleted_at()

    __table_args__ = (
        Index("ix_districts_code", "code"),
        Index("ix_districts_deleted_at", "deleted_at"),
    )


class School(Base):
    __tablename__ = "schools"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str]
    code: Mapped[str] = mapped_column(unique=True)
    district_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("districts.id"))
    address: Mapped[str | None]
    phone: Mapped[str | None]
    email: Mapped[str | None]
    principal: Mapped[str | None]
    settings: Mapped[dict[str, Any] | None]
    # Hebrew alphabetical order of the name, stored (0026): see core/ordering.name_order.
    sort_key: Mapped[str] = mapped_column(
        Text(collation="C"), Computed(NAME_SORT_KEY_SQL, persisted=True)
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    deleted_at: Mapped[datetime | None] = deleted_at()

    __table_args__ = (
        Index("ix_schools_district_id", "district_id"),
        Index("ix_schools_code", "code"),
        Index("ix_schools_deleted_at", "deleted_at"),
    )


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(unique=True)
    password_hash: Mapped[str | None]
    role: Mapped[UserRole] = mapped_column(Enum(UserRole, name="user_role"))
    auth_provider: Mapped[AuthProvider] = mapped_column(
        Enum(AuthProvider, name="auth_provider"), server_default=text("'EMAIL'")
    )
    provider_id: Mapped[str | None]
    first_name: Mapped[str]
    last_name: Mapped[str]
    phone: Mapped[str | None]
    avatar: Mapped[str | None]
    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("schools.id"))
    last_login_at: Mapped[datetime | None]
    email_verified: Mapped[bool] = mapped_column(server_default=text("false"))
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))
    settings: Mapped[dict[str, Any] | None]
    # Hebrew alphabetical order, identical on ICU and non-ICU builds (see migrations).
    sort_key: Mapped[str] = mapped_column(
        Text(collation="C"), Computed(SORT_KEY_SQL, persisted=True)
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    deleted_at: Mapped[datetime | None] = deleted_at()

    __table_args__ = (
        Index("idx_users_email", "email"),
        Index("ix_users_school_id", "school_id"),
        Index("ix_users_role", "role"),
        Index("ix_users_deleted_at", "deleted_at"),
        Index("idx_users_school_role", "school_id", "role"),
        Index("ix_users_school_sort_key", "school_id", "sort_key"),
        # Emails are unique whatever their case (Core issue, item 7).
        Index("users_email_lower_key", func.lower(email), unique=True),
    )
