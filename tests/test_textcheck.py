"""Invisible and control characters (safety.textcheck): what is refused, what `visible` keeps."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safety.textcheck import control_characters, invisible_or_control, is_blank, plain_spaces, visible


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("E1001", []),
        ("张三", []),
        ("李 四", []),  # an ordinary space is visible
        ("王\u3000五", []),  # so is the ideographic space (plain_spaces reads it as a space)
        ("E1001\x00", ["U+0000"]),
        ("E10\u200b01", ["U+200B"]),
        ("\ufeffE1001", ["U+FEFF"]),
        ("a\u200c\u200d\u2060b", ["U+200C", "U+200D", "U+2060"]),
        ("\u202eE1001", ["U+202E"]),  # right-to-left override
        ("\u200e\u200f", ["U+200E", "U+200F"]),
        ("so\u00adft", ["U+00AD"]),
        ("a\u2028b\u2029c", ["U+2028", "U+2029"]),
        ("tab\there", ["U+0009"]),
        ("two\nlines", ["U+000A"]),
        ("bell\x07 del\x7f c1\x85\x9f", ["U+0007", "U+007F", "U+0085", "U+009F"]),
        ("\u3164", ["U+3164"]),  # Hangul filler: a letter that shows nothing
        ("\u2800", ["U+2800"]),  # the blank braille pattern
        ("❤\ufe0f", ["U+FE0F"]),  # a variation selector is invisible in a key or a name
        ("\U000e0041", ["U+E0041"]),  # a tag character
        ("x\u200bx\u200b", ["U+200B"]),  # each code point once
    ],
)
def test_invisible_or_control(text: str, found: list[str]) -> None:
    assert invisible_or_control(text) == found


def test_multiline_allows_line_breaks_and_tabs_only() -> None:
    assert invisible_or_control("第一行\r\n第二行\t完", multiline=True) == []
    assert invisible_or_control("a\nb\x00\u200b", multiline=True) == ["U+0000", "U+200B"]


def test_control_characters_leave_emoji_sequences_alone() -> None:
    assert control_characters("⛑️ 安全帽 👩‍🚀") == []
    assert control_characters("a\x00b\u2028") == ["U+0000", "U+2028"]
    assert control_characters("a\nb", multiline=True) == []
    assert control_characters("a\nb") == ["U+000A"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("  已整改  ", "已整改"),
        ("\u200b已\u200d整改\ufeff", "已整改"),
        ("a\x00b\x1bc", "abc"),
        ("第一行\r\n第二行\u2028第三行", "第一行\n第二行\n第三行"),
        ("❤️ 👩‍🚀 🏳️‍🌈", "❤️ 👩‍🚀 🏳️‍🌈"),  # joiners and selectors inside emoji sequences stay
        ("\u3000\u00a0x\u3000", "x"),
    ],
)
def test_visible(text: str, shown: str) -> None:
    assert visible(text) == shown


@pytest.mark.parametrize(
    ("text", "blank"),
    [
        ("", True),
        ("   ", True),
        ("\u200b\u200b\u200b", True),
        ("\u3000\u200d\n\t\ufeff", True),
        ("\u2800\u3164", True),
        ("\x00", True),
        (".", False),
        ("无", False),
        ("👍", False),
    ],
)
def test_is_blank(text: str, blank: bool) -> None:
    assert is_blank(text) is blank


def test_plain_spaces() -> None:
    assert plain_spaces("王\u3000五\u00a0六\u2009七 八") == "王 五 六 七 八"


@given(st.text())
def test_visible_text_has_nothing_hidden_but_line_breaks_and_emoji_glue(text: str) -> None:
    shown = visible(text)
    assert visible(shown) == shown
    leftover = set(invisible_or_control(shown, multiline=True)) - {"U+200D", "U+FE0E", "U+FE0F"}
    assert leftover == set()
    assert is_blank(text) is (shown == "")
