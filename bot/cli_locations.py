"""`safetybot import locations FILE.yaml` and `safetybot qr [--unit UNIT] --out FILE.pdf` (QR posters)."""

from __future__ import annotations


def import_locations_command() -> None:
    """Not built yet."""
    raise SystemExit(2)


def qr_command() -> None:
    """Not built yet."""
    raise SystemExit(2)
