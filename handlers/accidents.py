"""Accidents in chat: the manager's `已上报` (reported to the authorities, 国务院令第493号)."""

from __future__ import annotations

from typing import Any

COMMANDS: dict[str, Any] = {}
STEPS: dict[tuple[str, str], Any] = {}
ROUTES: dict[str, Any] = {}
