"""`safetybot report show NUMBER`: a report's whole history."""

from __future__ import annotations


def report_show_command() -> None:
    """Not built yet."""
    raise SystemExit(2)
