"""Duty kinds: one module per obligation kind, looked up here by name (the registry).

The escalation engine, digests and obligation actions ask this registry how a kind reads and what acting on
it means; none of them branches on a kind's name. A kind is listed in `KIND_NAMES` and implemented in
`safety/kinds/<name>.py` as a module-level `KIND`; the modules are imported on first use, so that modules
low in the stack (the org-file import, which only needs the names) can import this package cheaply.
"""

from __future__ import annotations

import importlib
from typing import Any

CHECKIN, QUIZ = "checkin", "quiz"  # the features that create these obligations name them by these
RECTIFICATION, ACCIDENT_ACK, ACCIDENT_REPORT = "rectification", "accident_ack", "accident_report"
INSPECTION, CARD_ACK, DUTY_SHIFT = "inspection", "card_ack", "duty_shift"
KIND_NAMES: tuple[str, ...] = (
    CHECKIN,
    QUIZ,
    RECTIFICATION,
    ACCIDENT_ACK,
    ACCIDENT_REPORT,
    INSPECTION,
    CARD_ACK,
    DUTY_SHIFT,
)


def get(name: str) -> Any:
    """The kind module's `KIND` object; KeyError for a kind without a module."""
    if name not in KIND_NAMES:
        raise KeyError(f"no duty kind module for {name!r}")
    return importlib.import_module(f"safety.kinds.{name}").KIND
