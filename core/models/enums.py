"""Enumerations of the data model, with the values the schema specification gives."""

from __future__ import annotations

import enum


class UserRole(enum.StrEnum):
    TEACHER = "TEACHER"
    PRINCIPAL = "PRINCIPAL"
    ADMIN = "ADMIN"


class AuthProvider(enum.StrEnum):
    EMAIL = "EMAIL"
    GOOGLE = "GOOGLE"
    MICROSOFT = "MICROSOFT"


class AnalysisStatus(enum.StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class ConversationRole(enum.StrEnum):
    SYSTEM = "SYSTEM"
    ASSISTANT = "ASSISTANT"
    USER = "USER"


class AuditAction(enum.StrEnum):
    CREATE = "CREATE"
    READ = "READ"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    LOGIN = "LOGIN"
    LOGOUT = "LOGOUT"
    EXPORT = "EXPORT"


class ChatPlatform(enum.StrEnum):
    SLACK = "SLACK"
    TELEGRAM = "TELEGRAM"
    SHELL = "SHELL"
