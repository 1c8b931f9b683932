"""/inspect: an inspection by checklist at a location; each item 合格 / 隐患, every 隐患 a hazard report."""

from __future__ import annotations

from typing import Any

COMMANDS: dict[str, Any] = {}
STEPS: dict[tuple[str, str], Any] = {}
ROUTES: dict[str, Any] = {}
