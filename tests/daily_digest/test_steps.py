"""The read → draw → write step of both leader messages, without a database: each chart's leaders are
written as soon as that chart is drawn, and a chart that cannot be drawn holds back only its own leaders
(written by a later pass), never the others."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from safety.config import Defaults
from safety.daily_digest.steps import read_draw_write


@dataclass(frozen=True)
class Item:
    key: str
    chart_path: str | None


@dataclass
class Runtime:
    data_dir: Path
    defaults: Defaults = field(default_factory=Defaults)
    events: list[str] = field(default_factory=list)

    def now(self) -> datetime:
        return datetime(2026, 11, 30, 9, 30, tzinfo=UTC)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[None]:
        yield None

    @asynccontextmanager
    async def session(self, background: bool = False) -> AsyncIterator[None]:
        self.events.append("begin")
        yield None
        self.events.append("commit")


ITEMS = [Item("a1", "a.png"), Item("b1", "b.png"), Item("a2", "a.png"), Item("c1", None)]


async def test_each_chart_is_drawn_then_its_leaders_written_and_a_failure_holds_back_only_its_own(
    tmp_path: Path,
) -> None:
    runtime = Runtime(tmp_path)
    written: set[str] = set()

    async def due(_session: Any, **_: Any) -> list[Item]:
        return [i for i in ITEMS if i.key not in written]

    def render(group: Sequence[Item], _data_dir: Path) -> None:
        runtime.events.append(f"draw {group[0].chart_path}")
        if group[0].chart_path == "b.png" and not runtime.events.count("draw b.png") > 1:
            raise OSError("disk full")

    async def send_due(_session: Any, group: Sequence[Item], **_: Any) -> int:
        runtime.events.append("write " + ",".join(i.key for i in group))
        written.update(i.key for i in group)
        return len(group)

    assert await read_draw_write(runtime, what="test", due=due, render=render, send_due=send_due) == 3
    assert runtime.events == [
        "draw a.png", "begin", "write a1,a2", "commit",  # a.png's two leaders, before b.png is tried
        "draw b.png",  # fails: nothing written for b1
        "draw None", "begin", "write c1", "commit",  # no chart (an empty week): its message still goes
    ]  # fmt: skip
    assert written == {"a1", "a2", "c1"}
    assert await read_draw_write(runtime, what="test", due=due, render=render, send_due=send_due) == 1
    assert written == {"a1", "a2", "b1", "c1"}  # the next pass sends what the failure held back
