"""Reading what WeCom pushes (the decrypted callback XML, as in WeCom's documentation): texts, photos,
locations and template-card button presses become Inbound values; other events and junk come to None."""

from __future__ import annotations

import pytest

from bot.channels.wecom import safexml
from bot.channels.wecom.events import (
    InboundButton,
    InboundImage,
    InboundLocation,
    InboundText,
    dedupe_key,
    parse,
)

TEXT = """<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>
<FromUserName><![CDATA[LiSi]]></FromUserName><CreateTime>1348831860</CreateTime>
<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[ 打卡 ]]></Content>
<MsgId>1234567890123456</MsgId><AgentID>1000002</AgentID></xml>"""

IMAGE = """<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>
<FromUserName><![CDATA[LiSi]]></FromUserName><CreateTime>1348831860</CreateTime>
<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[https://example.invalid/p.jpg]]></PicUrl>
<MediaId><![CDATA[1Gk6sU-media]]></MediaId><MsgId>1234567890123457</MsgId><AgentID>1000002</AgentID></xml>"""

LOCATION = """<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>
<FromUserName><![CDATA[LiSi]]></FromUserName><CreateTime>1351776360</CreateTime>
<MsgType><![CDATA[location]]></MsgType><Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y>
<Scale>20</Scale><Label><![CDATA[位置信息]]></Label><MsgId>1234567890123458</MsgId><AgentID>1000002</AgentID>
<AppType><![CDATA[wxwork]]></AppType></xml>"""

BUTTON = """<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>
<FromUserName><![CDATA[LiSi]]></FromUserName><CreateTime>1612345678</CreateTime>
<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event>
<EventKey><![CDATA[ck:12:ok:AbCd_ef]]></EventKey><TaskId><![CDATA[card-77-0]]></TaskId>
<CardType><![CDATA[button_interaction]]></CardType><ResponseCode><![CDATA[REsPoNsE_cOdE]]></ResponseCode>
<AgentID>1000002</AgentID><SelectedItems><SelectedItem><QuestionKey><![CDATA[q]]></QuestionKey>
<OptionIds><OptionId><![CDATA[o1]]></OptionId></OptionIds></SelectedItem></SelectedItems></xml>"""


def event(name: str, extra: str = "") -> str:
    return (
        "<xml><ToUserName>ww1</ToUserName><FromUserName>LiSi</FromUserName><CreateTime>1612345678</CreateTime>"
        f"<MsgType>event</MsgType><Event>{name}</Event>{extra}<AgentID>1000002</AgentID></xml>"
    )


def test_text() -> None:
    assert parse(TEXT) == InboundText("LiSi", " 打卡 ", "1234567890123456", 1348831860)


def test_image() -> None:
    assert parse(IMAGE) == InboundImage("LiSi", "1Gk6sU-media", "1234567890123457", 1348831860)


def test_location() -> None:
    got = parse(LOCATION)
    assert got == InboundLocation("LiSi", 23.134521, 113.358803, "1234567890123458", 1351776360)


def test_template_card_button() -> None:
    got = parse(BUTTON)
    assert got == InboundButton("LiSi", "ck:12:ok:AbCd_ef", "card-77-0", "REsPoNsE_cOdE", 1612345678)


def test_text_with_markup_characters_stays_text() -> None:
    xml = TEXT.replace(" 打卡 ", "a < b & c ]]]]><![CDATA[> d")
    got = parse(xml)
    assert isinstance(got, InboundText) and got.text == "a < b & c ]]> d"


@pytest.mark.parametrize(
    "xml",
    [
        event("enter_agent", "<EventKey></EventKey>"),
        event("subscribe"),
        event("LOCATION", "<Latitude>23.1</Latitude><Longitude>113.3</Longitude><Precision>30</Precision>"),
        event("click", "<EventKey>menu</EventKey>"),
        event("template_card_event", "<TaskId>t</TaskId>"),  # no EventKey: nothing to do
        TEXT.replace("[text]", "[voice]"),
        TEXT.replace("<FromUserName><![CDATA[LiSi]]></FromUserName>", ""),
        IMAGE.replace("<MediaId><![CDATA[1Gk6sU-media]]></MediaId>", ""),
    ],
)
def test_ignored_events(xml: str) -> None:
    assert parse(xml) is None


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "not xml",
        "<xml><FromUserName>LiSi</xml>",
        TEXT.replace("<CreateTime>1348831860</CreateTime>", "<CreateTime>soon</CreateTime>"),
        LOCATION.replace("23.134521", "north"),
        LOCATION.replace("23.134521", "nan"),
        LOCATION.replace("23.134521", "123.4"),
        # a billion laughs, an external entity, a parameter entity: refused, not expanded or read
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<xml><FromUserName>&b;</FromUserName><MsgType>text</MsgType><Content>&b;</Content></xml>",
        '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><FromUserName>LiSi</FromUserName>'
        "<MsgType>text</MsgType><Content>&e;</Content><CreateTime>1</CreateTime></xml>",
        '<!DOCTYPE x SYSTEM "http://127.0.0.1:1/x.dtd"><xml><FromUserName>LiSi</FromUserName></xml>',
        "<xml><FromUserName>LiSi</FromUserName><MsgType>text</MsgType><Content>&undefined;</Content></xml>",
        "<a>" * 50 + "</a>" * 50,
        TEXT.replace(" 打卡 ", "x" * 70_000),
    ],
)
def test_junk_comes_to_none(junk: str) -> None:
    assert parse(junk) is None


def test_dedupe_key_of_messages_is_the_msg_id() -> None:
    text, image = parse(TEXT), parse(IMAGE)
    assert text is not None and image is not None
    assert dedupe_key(text) == "msg:1234567890123456"
    assert dedupe_key(image) != dedupe_key(text)
    assert dedupe_key(parse(TEXT.replace("打卡", "上报"))) == dedupe_key(text)  # type: ignore[arg-type]


def test_dedupe_key_of_a_press_is_presser_time_card_and_button() -> None:
    press = parse(BUTTON)
    assert isinstance(press, InboundButton)
    same = InboundButton("LiSi", "ck:12:ok:AbCd_ef", "card-77-0", "another code", 1612345678)
    assert dedupe_key(same) == dedupe_key(press)  # a retry brings the same event
    others = [
        InboundButton("WangWu", press.event_key, press.task_id, "", press.create_time),
        InboundButton(press.userid, press.event_key, press.task_id, "", press.create_time + 1),
        InboundButton(press.userid, press.event_key, "card-78-0", "", press.create_time),
        InboundButton(press.userid, "ck:12:no:AbCd_ef", press.task_id, "", press.create_time),
    ]
    keys = {dedupe_key(press), *(dedupe_key(item) for item in others)}
    assert len(keys) == 5


def test_dedupe_key_fits_the_column() -> None:
    long = InboundButton("u" * 64, "k" * 64, "t" * 128, "", 1612345678)
    other = InboundButton("u" * 64, "k" * 63 + "K", "t" * 128, "", 1612345678)
    assert len(dedupe_key(long)) <= 160
    assert dedupe_key(long) != dedupe_key(other)
    without_id = InboundText("LiSi", "hi", "", 1612345678)
    assert dedupe_key(without_id) == "msg:LiSi:1612345678"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ('<!DOCTYPE x [<!ENTITY a "a">]><xml>&a;</xml>', "DOCTYPE"),
        ('<!DOCTYPE x SYSTEM "http://127.0.0.1:1/x.dtd"><xml/>', "DOCTYPE"),
        ("<a>" * 9 + "</a>" * 9, "deeper"),
        ("<xml>" + "x" * 65_536 + "</xml>", "bytes"),
        ("<xml><a></xml>", "well-formed"),
        ("", "well-formed"),
    ],
)
def test_safe_xml_refuses_with_its_reason(document: str, reason: str) -> None:
    with pytest.raises(safexml.UnsafeXml, match=reason):
        safexml.parse(document)


def test_safe_xml_reads_a_plain_document() -> None:
    root = safexml.parse(b"<xml><A>1</A><B><![CDATA[<&>]]></B></xml>")
    assert (root.tag, root.findtext("A"), root.findtext("B")) == ("xml", "1", "<&>")
