"""SQLAlchemy models of the schema specification, plus chat identities and link codes."""

from core.models.analysis import Analysis, AnalysisConversation, AnalysisFlag, AnalysisTheme
from core.models.audit import AuditLog
from core.models.base import Base
from core.models.dialogue import DialogueState, InboxEvent, OutboxReply
from core.models.enums import (
    AnalysisStatus,
    AuditAction,
    AuthProvider,
    ChatPlatform,
    ConversationRole,
    UserRole,
)
from core.models.identity import ChatIdentity, LinkCode
from core.models.org import District, School, User
from core.models.roster import Class, ClassEnrollment, Student

__all__ = [
    "Analysis",
    "AnalysisConversation",
    "AnalysisFlag",
    "AnalysisStatus",
    "AnalysisTheme",
    "AuditAction",
    "AuditLog",
    "AuthProvider",
    "Base",
    "ChatIdentity",
    "ChatPlatform",
    "Class",
    "ClassEnrollment",
    "ConversationRole",
    "DialogueState",
    "District",
    "InboxEvent",
    "LinkCode",
    "OutboxReply",
    "School",
    "Student",
    "User",
    "UserRole",
]
