"""Rectification (整改) in chat: 指派 on the officer's notice (responsible person, deadline, measures),
整改完成 by the responsible person (photos, note), 通过 / 驳回 by the verifier, and the 回头看 re-check."""

from __future__ import annotations

from typing import Any

COMMANDS: dict[str, Any] = {}
STEPS: dict[tuple[str, str], Any] = {}
ROUTES: dict[str, Any] = {}
