"""One item of /pending: since when it waits, the lines it reads as, and the rows of buttons to act on it
(the original messages' actions, unchanged)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from safety.views import Action, Line


@dataclass(frozen=True)
class Item:
    since: datetime  # oldest first
    lines: tuple[Line, ...]
    rows: tuple[tuple[Action, ...], ...] = ()
    key: str = ""  # a stable order among items of the same moment
