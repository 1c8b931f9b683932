"""The weekly summary's chart: one bar per team of last week's check-in rate, beside a lighter bar of the
week before, as PNG bytes. Drawn like the daily chart (chart.py: matplotlib's Agg backend, the CJK font of
the PDFs, zh-CN labels listed by `labels` so a test can check every character is in the font); CPU work
that callers run in a thread, outside any transaction."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

from safety.daily_digest.chart import MAX_BARS, font, lowest, png_bytes, write_png
from safety.daily_digest.weekly import WeekFigures
from safety.texts import t

LANGUAGE = "zh-CN"  # one image for everyone in the scope, as the daily chart
SIZE = (8.0, 4.2)  # inches at 100 dpi: 800 × 420 pixels
WIDTH = 0.38  # of a bar; the two weeks' bars of a team stand side by side


def _t(key: str, /, **params: object) -> str:
    return t(LANGUAGE, f"weekly.{key}", **params)


def _title(figures: WeekFigures) -> str:
    return _t(
        "chart_title",
        scope=figures.scope,
        week=figures.week,
        first=figures.first.strftime("%m-%d"),
        last=figures.last.strftime("%m-%d"),
    )


def labels(figures: WeekFigures) -> list[str]:
    """Every text drawn on the chart (title, legend, axes, ticks)."""
    return [
        _title(figures),
        _t("chart_week"),
        _t("chart_before"),
        _t("chart_lowest", shown=MAX_BARS, total=len(figures.teams)),
        _t("chart_rate_axis"),
        _t("chart_no_rounds"),
        *(team.name for team in figures.teams),
        *(f"{p}%" for p in range(0, 101, 20)),
    ]


def render(figures: WeekFigures) -> bytes:
    """The chart as PNG bytes."""
    prop = font()
    fig = Figure(figsize=SIZE, dpi=100)
    axes = fig.subplots()
    teams = lowest(figures.teams, lambda team: team.rate)
    title = _title(figures)
    if len(teams) < len(figures.teams):
        title += "\n" + _t("chart_lowest", shown=len(teams), total=len(figures.teams))
    axes.set_title(title, fontproperties=prop)
    ticks = list(range(0, 101, 20))
    axes.set_ylim(0, 122)  # room above 100 % for the legend
    axes.set_yticks(ticks, [f"{p}%" for p in ticks], fontproperties=prop)
    axes.set_ylabel(_t("chart_rate_axis"), fontproperties=prop)
    if teams:
        places = range(len(teams))
        axes.bar(
            [x - WIDTH / 2 for x in places],
            [team.rate * 100 for team in teams],
            WIDTH,
            color="#2e7d32",
            label=_t("chart_week"),
        )
        axes.bar(
            [x + WIDTH / 2 for x in places],
            [(team.before or 0.0) * 100 for team in teams],
            WIDTH,
            color="#a5d6a7",
            label=_t("chart_before"),
        )
        axes.set_xticks(list(places), [team.name for team in teams], fontproperties=prop, rotation=20)
        axes.legend(prop=prop, loc="upper right", ncols=2)
    else:
        axes.set_xticks([])
        axes.text(0.5, 0.5, _t("chart_no_rounds"), ha="center", transform=axes.transAxes, fontproperties=prop)
    return png_bytes(fig)


def write(figures: WeekFigures, data_dir: Path, relative: str) -> str:
    """Render and write the chart under the data folder; returns its path relative to it."""
    return write_png(render(figures), data_dir, relative)
