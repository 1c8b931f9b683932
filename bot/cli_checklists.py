"""`safetybot import checklists FILE.yaml`: inspection checklists by topic, for /inspect."""

from __future__ import annotations


def import_checklists_command() -> None:
    """Not built yet."""
    raise SystemExit(2)
