"""/tasks (my rectification tasks), /incidents [NUMBER] (open reports in my scope, or one report's history)
and /pending (everything that waits on me)."""

from __future__ import annotations

from typing import Any

COMMANDS: dict[str, Any] = {}
STEPS: dict[tuple[str, str], Any] = {}
ROUTES: dict[str, Any] = {}
