"""The fixed words and limits of reports: kinds and their number prefixes, states, limits on input, and the
button actions that other modules route (handlers/ and the notices agree on them here)."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    HAZARD = "hazard"  # 隐患
    NEAR_MISS = "near_miss"  # 未遂
    ACCIDENT = "accident"  # 事故
    VIOLATION = "violation"  # 违章


PREFIX = {Kind.HAZARD: "YH", Kind.NEAR_MISS: "WS", Kind.ACCIDENT: "SG", Kind.VIOLATION: "WZ"}


class State(StrEnum):
    REPORTED = "reported"
    ASSIGNED = "assigned"
    SUBMITTED = "submitted"
    CLOSED = "closed"


OPEN_STATES = frozenset({State.REPORTED, State.ASSIGNED, State.SUBMITTED})

GENERAL, MAJOR = "general", "major"  # hazard grades (安监总局令第16号): 一般 / 重大

DESCRIPTION_LIMIT = 1000
LOCATION_LIMIT = 200
MEASURES_LIMIT = 1000
NOTE_LIMIT = 500
MAX_PHOTOS = 5
PHOTO_MAX_BYTES = 10 * 1024 * 1024
CASUALTY_LIMIT = 10_000

# Button actions (callback data `action`), each routed by one handler module:
ASSIGN = "ra"  # 指派 on the safety officer's notice: arg = report id (handlers/rectify.py)
AUTHORITY_REPORTED = "ar"  # 已上报 on the manager's accident alert: arg = report id (handlers/accidents.py)


def is_serious(kind: str, severity: str | None) -> bool:
    """A 重大 hazard or any accident goes up the whole chain at once (an accident_ack obligation)."""
    return kind == Kind.ACCIDENT or (kind == Kind.HAZARD and severity == MAJOR)
