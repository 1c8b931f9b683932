"""WeCom rendering: text within 2,048 bytes a message, cards of ≤ 6 buttons whose keys are the callback
data, unique valid task ids, and text too long for a card sent first as text."""

from __future__ import annotations

import pytest

from bot.channels.wecom import render


def _rows(count: int) -> list[list[tuple[str, str]]]:
    return [[(f"已阅{i}", f"1|ack|{i}|mac{i}")] for i in range(count)]


def test_no_buttons_is_one_text_message() -> None:
    assert render.button_cards("zhang", "你好\n世界", [], task_prefix="t1") == [
        {"touser": "zhang", "msgtype": "text", "text": {"content": "你好\n世界"}}
    ]


def test_long_text_splits_at_lines_within_2048_bytes() -> None:
    text = "\n".join(f"第{i}行：安全帽已检查" for i in range(300))
    messages = render.text_messages("zhang", text)
    assert len(messages) > 1
    contents = [m["text"]["content"] for m in messages]
    assert all(len(c.encode()) <= render.TEXT_BYTES for c in contents)
    assert "\n".join(contents) == text
    one_line = "危" * 2000  # 6,000 bytes on one line: cut at characters, nothing lost
    assert "".join(render.text_chunks(one_line)) == one_line
    assert len(render.text_message("zhang", one_line)["text"]["content"].encode()) <= render.TEXT_BYTES


def test_eight_buttons_make_two_cards_with_the_keys_and_unique_task_ids() -> None:
    messages = render.button_cards("zhang", "隐患整改\n请确认", _rows(8), task_prefix="abc_1")
    assert [m["msgtype"] for m in messages] == ["template_card", "template_card"]
    cards = [m["template_card"] for m in messages]
    assert [len(c["button_list"]) for c in cards] == [6, 2]
    assert [b["key"] for c in cards for b in c["button_list"]] == [f"1|ack|{i}|mac{i}" for i in range(8)]
    assert {c["card_type"] for c in cards} == {"button_interaction"}
    assert cards[0]["task_id"] != cards[1]["task_id"]
    assert all(render.valid_task_id(c["task_id"]) for c in cards)
    assert cards[0]["main_title"]["title"] == "隐患整改"
    assert cards[0]["sub_title_text"] == "请确认"


def test_text_too_long_for_a_card_goes_first_as_text() -> None:
    text = "今日巡检汇总\n" + "\n".join(f"{i}. 脚手架连接件松动，已通知班组长" for i in range(20))
    messages = render.button_cards("zhang", text, _rows(1), task_prefix="p")
    assert [m["msgtype"] for m in messages] == ["text", "template_card"]
    assert messages[0]["text"]["content"] == text
    card = messages[1]["template_card"]
    assert card["main_title"]["title"] == "今日巡检汇总"
    assert "sub_title_text" not in card


def test_limits_titles_and_labels_are_cut() -> None:
    card = render.updated_card("标" * 50, [[("已部署落实并且拍照上传了", "k")]], task_id="t-1")
    assert len(card["main_title"]["title"]) == render.TITLE_CHARS
    assert len(card["button_list"][0]["text"]) == render.BUTTON_CHARS
    assert card["task_id"] == "t-1"


def test_bad_task_id_and_too_many_buttons_for_an_update_are_refused() -> None:
    with pytest.raises(ValueError):
        render.updated_card("x", [], task_id="有中文")
    with pytest.raises(ValueError):
        render.updated_card("x", _rows(7), task_id="ok")
    assert not render.valid_task_id("a" * 129)
    assert render.valid_task_id("a_b-c@1")
