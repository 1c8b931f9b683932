"""The weekly summary's chart: a valid PNG, and every character it draws is in the CJK font (no tofu)."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from safety.daily_digest import weekly_chart
from safety.daily_digest.weekly import TeamWeek, WeekFigures
from safety.pdf_font import SC_IN_COLLECTION
from tests.daily_digest.test_chart import cmap_chars, missing

FIGURES = WeekFigures(
    scope="普朗铜矿项目部",
    week="2026-W48",
    first=date(2026, 11, 23),
    last=date(2026, 11, 29),
    teams=(TeamWeek("爆破班", 6, 8, 0.5), TeamWeek("凿岩班", 3, 3, None), TeamWeek("运输班", 1, 9, 0.2)),
    answered=10,
    expected=20,
    before=0.4,
    found=2,
    closed=1,
    open_now=3,
    on_time=1,
    late=1,
    overdue=1,
    cleared=5,
    people=13,
    cleared_before=4,
    cards_sent=2,
    cards_read=1,
)


@pytest.mark.filterwarnings("error")  # matplotlib warns "Glyph … missing from font" on tofu
def test_the_chart_is_a_png_pillow_opens_with_the_expected_size() -> None:
    png = weekly_chart.render(FIGURES)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as image:
        image.verify()
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == (800, 420)


@pytest.mark.filterwarnings("error")
def test_a_week_without_rounds_still_draws() -> None:
    assert weekly_chart.render(replace(FIGURES, teams=())).startswith(b"\x89PNG")


def test_a_label_outside_the_font_is_noticed_by_matplotlib() -> None:
    with pytest.warns(UserWarning, match="missing from font"):
        weekly_chart.render(replace(FIGURES, teams=(TeamWeek("班\U0001f600", 1, 1, None),)))


@pytest.mark.parametrize("index", [0, SC_IN_COLLECTION])  # matplotlib's face of the .ttc, and the PDFs'
def test_every_label_character_is_in_the_font(index: int) -> None:
    chars = cmap_chars(index)
    labels = weekly_chart.labels(FIGURES)
    assert any("签到率" in label for label in labels) and "上周" in labels and "爆破班" in labels
    for label in labels:
        assert not missing(label, chars), label


def test_the_chart_is_written_whole_under_the_data_folder(tmp_path: Path) -> None:
    written = weekly_chart.write(FIGURES, tmp_path, "digests/weekly/2026-W48/proj-pulang.png")
    target = tmp_path / written
    assert target.read_bytes().startswith(b"\x89PNG")
    assert [p.name for p in target.parent.iterdir()] == ["proj-pulang.png"]  # no partial file left
