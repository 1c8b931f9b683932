"""The digest's chart: a valid PNG, and every character it draws is in the CJK font (no tofu boxes)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from fontTools.ttLib import TTCollection
from PIL import Image

from safety.daily_digest import chart
from safety.daily_digest.figures import Figures, TeamRate
from safety.pdf_font import SC_IN_COLLECTION, font_path

DAY = date(2026, 11, 27)


def figures(teams: tuple[TeamRate, ...] = (TeamRate("爆破班", 3, 4), TeamRate("凿岩班", 2, 3))) -> Figures:
    history = tuple((DAY - timedelta(days=13 - i), None if i % 7 == 5 else i / 13) for i in range(14))
    return Figures(
        scope="普朗铜矿项目部",
        day=DAY,
        teams=teams,
        history=history,
        hazards_by_age=(1, 0, 2),
        overdue=1,
        cleared=5,
        people=7,
        unacknowledged=3,
    )


def cmap_chars(index: int) -> set[str]:
    collection = TTCollection(str(font_path()))
    return {chr(code) for code in collection.fonts[index].getBestCmap()}


def missing(text: str, chars: set[str]) -> set[str]:
    return {c for c in text if not c.isspace() and c not in chars}


@pytest.mark.filterwarnings("error")  # matplotlib warns "Glyph … missing from font" on tofu
def test_the_chart_is_a_png_pillow_opens_with_the_expected_size() -> None:
    png = chart.render(figures())
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as image:
        image.verify()
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == (1000, 420)


def test_a_day_without_rounds_still_draws() -> None:
    assert chart.render(figures(teams=())).startswith(b"\x89PNG")


def test_a_label_outside_the_font_is_noticed_by_matplotlib() -> None:
    with pytest.warns(UserWarning, match="missing from font"):
        chart.render(figures(teams=(TeamRate("班\U0001f600", 1, 1),)))


@pytest.mark.parametrize("index", [0, SC_IN_COLLECTION])  # matplotlib's face of the .ttc, and the PDFs'
def test_every_label_character_is_in_the_font(index: int) -> None:
    chars = cmap_chars(index)
    labels = chart.labels(figures())
    assert any("签到率" in label for label in labels)  # the Chinese labels are among them
    for label in labels:
        assert not missing(label, chars), label


def test_the_font_check_fails_on_a_character_outside_the_font() -> None:
    assert missing("签到率 \U0001f600\ue000", cmap_chars(SC_IN_COLLECTION)) == {"\U0001f600", "\ue000"}


def test_the_chart_uses_the_cjk_font_file() -> None:
    assert chart.font().get_file() == str(font_path())


def test_a_scope_of_many_teams_draws_the_lowest_rates_only() -> None:
    """A branch of 100 teams: 100 names on one axis are unreadable, so the 12 lowest rates are drawn, in
    their order, and the panel says how many of how many."""
    teams = tuple(TeamRate(f"{n:03d}班", answered=(n * 37) % 10, expected=10) for n in range(100))
    drawn = chart.lowest(teams, lambda team: team.rate)
    assert len(drawn) == chart.MAX_BARS
    assert max(t.rate for t in drawn) <= min(t.rate for t in teams if t not in drawn)
    assert [teams.index(t) for t in drawn] == sorted(teams.index(t) for t in drawn)
    assert chart.lowest(teams[:5], lambda team: team.rate) == list(teams[:5])
    png = chart.render(figures(teams))
    assert Image.open(io.BytesIO(png)).format == "PNG"
    assert "签到率最低的 12 个班组（共 100 个）" in chart.labels(figures(teams))
