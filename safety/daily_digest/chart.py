"""The daily digest's chart: today's check-in rate by team (bars) beside the last 14 days' rate (a line),
as PNG bytes. matplotlib with the Agg backend (no display) and the CJK font the PDFs use (safety/pdf_font.py:
Noto Sans CJK SC from the .ttc collection), so the Chinese labels render instead of boxes.

`render` is CPU work of tens of milliseconds: callers run it in a thread (asyncio.to_thread), outside any
database transaction. The labels come from the zh-CN catalog (`labels` lists them all, so a test can check
every character is in the font)."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import TypeVar

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from safety.daily_digest.figures import Figures
from safety.pdf_font import font_path
from safety.texts import t

LANGUAGE = "zh-CN"  # the chart is one image for everyone in the scope: Chinese users first
MAX_BARS = 12  # more team names than this on one axis blur into a band: the lowest rates are drawn
T = TypeVar("T")


def lowest(teams: Sequence[T], rate: Callable[[T], float]) -> list[T]:
    """The teams drawn as bars: all of them, or the MAX_BARS with the lowest rate (in their order)."""
    if len(teams) <= MAX_BARS:
        return list(teams)
    keep = set(sorted(range(len(teams)), key=lambda n: (rate(teams[n]), n))[:MAX_BARS])
    return [team for n, team in enumerate(teams) if n in keep]


@cache
def font() -> FontProperties:
    return FontProperties(fname=str(font_path()))


def _t(key: str, /, **params: object) -> str:
    return t(LANGUAGE, f"daily_digest.{key}", **params)


def labels(figures: Figures) -> list[str]:
    """Every text drawn on the chart (title, axes, ticks)."""
    return [
        _t("chart_title", scope=figures.scope, day=figures.day.isoformat()),
        _t("chart_today"),
        _t("chart_lowest", shown=MAX_BARS, total=len(figures.teams)),
        _t("chart_history"),
        _t("chart_rate_axis"),
        _t("chart_no_rounds"),
        *(team.name for team in figures.teams),
        *(d.strftime("%m-%d") for d, _ in figures.history),
        *(f"{p}%" for p in range(0, 101, 20)),
    ]


def render(figures: Figures) -> bytes:
    """The chart as PNG bytes."""
    prop = font()
    fig = Figure(figsize=(10, 4.2), dpi=100)
    today, history = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2, 3]})
    fig.suptitle(_t("chart_title", scope=figures.scope, day=figures.day.isoformat()), fontproperties=prop)
    ticks = list(range(0, 101, 20))
    for axes in (today, history):
        axes.set_ylim(0, 105)
        axes.set_yticks(ticks, [f"{p}%" for p in ticks], fontproperties=prop)
        axes.set_ylabel(_t("chart_rate_axis"), fontproperties=prop)
    teams = lowest(figures.teams, lambda team: team.rate)
    shown = _t("chart_lowest", shown=len(teams), total=len(figures.teams))
    today.set_title(_t("chart_today") if len(teams) == len(figures.teams) else shown, fontproperties=prop)
    if teams:
        names = [team.name for team in teams]
        today.bar(range(len(names)), [team.rate * 100 for team in teams], color="#2e7d32")
        today.set_xticks(range(len(names)), names, fontproperties=prop, rotation=20)
    else:
        today.set_xticks([])
        today.text(
            0.5, 0.5, _t("chart_no_rounds"), ha="center", transform=today.transAxes, fontproperties=prop
        )
    history.set_title(_t("chart_history"), fontproperties=prop)
    days = [d.strftime("%m-%d") for d, _ in figures.history]
    values = [rate * 100 if rate is not None else float("nan") for _, rate in figures.history]
    history.plot(range(len(days)), values, marker="o", color="#1565c0")
    history.set_xticks(range(len(days)), days, fontproperties=prop, rotation=45)
    return png_bytes(fig)


def write(figures: Figures, data_dir: Path, relative: str) -> str:
    """Render and write the chart under the data folder; returns its path relative to it."""
    return write_png(render(figures), data_dir, relative)


def png_bytes(fig: Figure) -> bytes:
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def write_png(data: bytes, data_dir: Path, relative: str) -> str:
    """Write a chart under the data folder whole or not at all (another process, or another pass in this
    one, may draw the same chart); returns its path relative to the folder."""
    target = data_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.part")
    partial.write_bytes(data)
    partial.replace(target)
    return relative
