"""/report: kind, category, severity or casualties, location, description, photos, summary (提交 / 修改 /
取消); a draft is the flow "report" (persisted, expires, /cancel)."""

from __future__ import annotations

from typing import Any

COMMANDS: dict[str, Any] = {}
STEPS: dict[tuple[str, str], Any] = {}
ROUTES: dict[str, Any] = {}
