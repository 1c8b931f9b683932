"""What the domain is told by the assembly instead of reading settings: defaults, and the time-zone rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Defaults:
    """The deployment's defaults. `channel` is where group chats are and where a person bound nowhere is
    looked for (the assembly names it; the domain never does)."""

    language: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    channel: str = "chat"

    def zone(self, unit_timezone: str | None) -> ZoneInfo:
        """The one time-zone rule: the unit's zone, else the default. Everything that says "today" or
        shows a time to someone uses the zone of the unit it is about (a person's: their own unit's)."""
        return ZoneInfo(unit_timezone or self.timezone)  # ZoneInfo caches its instances

    def today(self, now: datetime, unit_timezone: str | None) -> date:
        return now.astimezone(self.zone(unit_timezone)).date()

    def hhmm(self, moment: datetime, unit_timezone: str | None) -> str:
        return moment.astimezone(self.zone(unit_timezone)).strftime("%H:%M")
