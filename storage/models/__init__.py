"""SQLModel tables. Times are aware UTC datetimes; unit ids and employee numbers come from the org files."""

from storage.models.base import utcnow
from storage.models.duty import (
    ChatState,
    CheckIn,
    Digest,
    DigestEntry,
    DigestRecipient,
    Leave,
    Obligation,
    OfficialDay,
    OutboxMessage,
    Round,
    SendShare,
)
from storage.models.org import (
    AuditEntry,
    BindFailure,
    BindingCode,
    ChatIdentity,
    Person,
    RoleAssignment,
    Unit,
)
from storage.models.quiz import Clearance, Prohibition, Question, QuizAttempt, QuizItem, Violation

__all__ = [
    "AuditEntry",
    "BindFailure",
    "BindingCode",
    "ChatIdentity",
    "ChatState",
    "CheckIn",
    "Clearance",
    "Digest",
    "DigestEntry",
    "DigestRecipient",
    "Leave",
    "Obligation",
    "OfficialDay",
    "OutboxMessage",
    "Person",
    "Prohibition",
    "Question",
    "QuizAttempt",
    "QuizItem",
    "RoleAssignment",
    "Round",
    "SendShare",
    "Unit",
    "Violation",
    "utcnow",
]
