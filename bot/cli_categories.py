"""`safetybot import categories FILE.yaml`: report category lists with their effective dates."""

from __future__ import annotations


def import_categories_command() -> None:
    """Not built yet."""
    raise SystemExit(2)
