"""What a person does in the WeCom app, from the decrypted callback XML: a text, a photo, a location, or a
press of a template card's button (`template_card_event`: EventKey = the button's key, our signed action).

Everything else WeCom pushes (enter_agent, subscribe, the LOCATION report, menu clicks, voice, video, …)
is ignored: `parse` returns None, and never raises on junk, since what it reads comes from the network."""

from __future__ import annotations

import hashlib
import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from bot.channels.wecom import safexml

logger = logging.getLogger(__name__)

MAX_KEY = 160  # WeComSeen.key


@dataclass(frozen=True)
class InboundText:
    userid: str
    text: str
    msg_id: str
    create_time: int


@dataclass(frozen=True)
class InboundImage:
    userid: str
    media_id: str
    msg_id: str
    create_time: int


@dataclass(frozen=True)
class InboundLocation:
    userid: str
    latitude: float
    longitude: float
    msg_id: str
    create_time: int


@dataclass(frozen=True)
class InboundButton:
    userid: str
    event_key: str
    task_id: str
    response_code: str
    create_time: int


Inbound = InboundText | InboundImage | InboundLocation | InboundButton


def parse(inner_xml: str) -> Inbound | None:
    """The message or button press in a decrypted callback; None for what we ignore or cannot read."""
    try:
        root = safexml.parse(inner_xml)
        return _inbound(root)
    except (safexml.UnsafeXml, ValueError) as exc:
        logger.warning("wecom callback ignored: %s", exc)
        return None


def _inbound(root: ET.Element) -> Inbound | None:
    userid = _text(root, "FromUserName")
    create_time = int(_text(root, "CreateTime") or "0")
    if not userid:
        return None
    kind = _text(root, "MsgType")
    msg_id = _text(root, "MsgId")
    if kind == "text":
        return InboundText(userid, _text(root, "Content", strip=False), msg_id, create_time)
    if kind == "image":
        media_id = _text(root, "MediaId")
        return InboundImage(userid, media_id, msg_id, create_time) if media_id else None
    if kind == "location":
        latitude, longitude = float(_text(root, "Location_X")), float(_text(root, "Location_Y"))
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValueError("location out of range")
        return InboundLocation(userid, latitude, longitude, msg_id, create_time)
    if kind == "event" and _text(root, "Event") == "template_card_event":
        event_key, task_id = _text(root, "EventKey"), _text(root, "TaskId")
        if not event_key or not task_id:
            return None
        return InboundButton(userid, event_key, task_id, _text(root, "ResponseCode"), create_time)
    return None


def _text(root: ET.Element, tag: str, *, strip: bool = True) -> str:
    value = root.findtext(tag) or ""
    return value.strip() if strip else value


def dedupe_key(item: Inbound) -> str:
    """The key WeCom's retries of one callback share: its MsgId; a button press (an event, without MsgId):
    the presser, CreateTime, the card's task id and the button. At most 160 characters (longer: hashed)."""
    if not isinstance(item, InboundButton) and item.msg_id:
        key = f"msg:{item.msg_id}"
    elif isinstance(item, InboundButton):
        key = f"btn:{item.userid}:{item.create_time}:{item.task_id}:{item.event_key}"
    else:
        key = f"msg:{item.userid}:{item.create_time}"
    if len(key) <= MAX_KEY:
        return key
    return f"{key[:4]}sha256:{hashlib.sha256(key.encode('utf-8')).hexdigest()}"
