"""The fake WeCom's memory and rules: members, access tokens, delivered messages, cards and their
response codes, media, the per-member limits and injected faults (plain Python; server.py adds HTTP).

Time is read from `clock` (an aware datetime), so a test that moves its clock moves token expiry (7,200 s),
the per-member windows (30 a minute, 1,000 an hour) and the response codes' 24 hours with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.sandbox_wecom.messages import ApiError, card_buttons, check_card, check_message
from bot.sandbox_wecom.records import Call, Delivered, Limits, Media, Member, ResponseCode, utc_now

__all__ = ["Call", "Limits", "Member", "WeComState", "utc_now"]

TOKEN_SECONDS = 7200
RESPONSE_CODE_SECONDS = 24 * 3600
MEDIA_SECONDS = 3 * 24 * 3600
MEDIA_LIMITS = {"image": 10 << 20, "voice": 2 << 20, "video": 10 << 20, "file": 20 << 20}


class WeComState:
    def __init__(
        self, *, corp_id: str, secret: str, agent_id: int, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.corp_id, self.secret, self.agent_id, self.clock = corp_id, secret, agent_id, clock
        self.limits = Limits()
        self.members: dict[str, Member] = {}  # by lower-cased userid: WeCom userids ignore case
        self.tokens: dict[str, datetime] = {}  # token -> issued
        self.expired: set[str] = set()
        self.tasks: dict[str, list[Delivered]] = {}  # task_id -> the cards sent with it
        self.codes: dict[str, ResponseCode] = {}
        self.media: dict[str, Media] = {}
        self.faults: dict[str, deque[int]] = {}
        self.calls: list[Call] = []
        self.dropped: list[dict[str, Any]] = []
        self.revision = 0
        self._changed = asyncio.Event()
        self._serial = 0

    # -- helpers --------------------------------------------------------------------------------------------
    def _next(self, prefix: str) -> str:
        return f"{prefix}{self.tick():08d}{secrets.token_hex(4)}"

    def tick(self) -> int:
        self._serial += 1
        return self._serial

    def changed(self) -> None:
        self.revision += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_changed(self, since: int, seconds: float) -> None:
        """Return when the revision passes `since` or after `seconds`."""
        if self.revision > since:
            return
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)

    def member(self, userid: str) -> Member | None:
        return self.members.get(userid.lower())

    def add_member(self, userid: str, name: str = "", label: str = "") -> Member:
        found = self.member(userid)
        if found is None:
            found = self.members[userid.lower()] = Member(userid, name, label)
        else:
            found.name, found.label = name or found.name, label or found.label
        return found

    def record_said(self, userid: str, said: dict[str, Any]) -> None:
        """What a member posted through WeComUser, for the page's conversation view."""
        member = self.add_member(userid)
        member.said.append(
            {**said, "from": "user", "seq": self.tick(), "time": int(self.clock().timestamp())}
        )
        self.changed()

    def conversation(self, userid: str) -> list[dict[str, Any]]:
        member = self.member(userid)
        if member is None:
            return []
        lost = [{**d.view(), "dropped": True} for d in member.lost]
        shown = [d.view() for d in member.inbox] + member.said + lost
        return sorted(shown, key=lambda item: int(item["seq"]))

    def take_fault(self, path: str) -> int | None:
        queue = self.faults.get(path)
        return queue.popleft() if queue else None

    # -- access tokens --------------------------------------------------------------------------------------
    def gettoken(self, corpid: str, corpsecret: str) -> dict[str, Any]:
        if not corpid:
            raise ApiError(41002, "corpid missing")
        if not corpsecret:
            raise ApiError(41004, "corpsecret missing")
        if corpid != self.corp_id:
            raise ApiError(40013, "invalid corpid")
        if corpsecret != self.secret:
            raise ApiError(40001, "invalid credential, access_token is invalid or not latest")
        now = self.clock()
        for token, issued in self.tokens.items():  # a live token is answered again, like WeCom does
            left = TOKEN_SECONDS - int((now - issued).total_seconds())
            if token not in self.expired and left > 0:
                return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": left}
        token = secrets.token_urlsafe(48)
        self.tokens[token] = now
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": TOKEN_SECONDS}

    def check_token(self, token: str | None) -> None:
        if not token:
            raise ApiError(41001, "access_token missing")
        issued = self.tokens.get(token)
        if issued is None:
            raise ApiError(40014, "invalid access_token")
        if token in self.expired or (self.clock() - issued).total_seconds() >= TOKEN_SECONDS:
            raise ApiError(42001, "access_token expired")

    def expire_tokens(self) -> None:
        self.expired |= set(self.tokens)

    def _check_agent(self, body: dict[str, Any]) -> None:
        agent = body.get("agentid")
        if agent is None:
            raise ApiError(41011, "missing agentid")
        if str(agent) != str(self.agent_id):
            raise ApiError(40056, "invalid agentid")

    # -- message/send ---------------------------------------------------------------------------------------
    def send(self, body: dict[str, Any]) -> dict[str, Any]:
        self._check_agent(body)
        touser = body.get("touser")
        if not isinstance(touser, str) or not touser.strip():
            raise ApiError(40031, "invalid userid list: touser is empty")
        if touser.strip() == "@all":
            raise ApiError(40058, "invalid parameter: the sandbox does not send to @all")
        payload = check_message(body)
        msgtype = str(body["msgtype"])
        if msgtype in ("image", "voice", "video", "file"):
            self._live_media(str(payload["media_id"]))
        task_id = payload.get("task_id") if msgtype == "template_card" else None
        if task_id is not None and task_id in self.tasks:
            raise ApiError(40058, f"invalid parameter: task_id {task_id!r} exists, it must be unique")
        wanted = [u for u in dict.fromkeys(touser.split("|")) if u]
        members = [m for u in wanted if (m := self.member(u)) is not None]
        invalid = [u.lower() for u in wanted if self.member(u) is None]
        if not members:
            raise ApiError(81013, "user & party & tag all invalid")
        msgid = self._next("msg")
        now = self.clock()
        for member in members:
            delivered = Delivered(msgid, member.userid, msgtype, dict(payload), now, task_id, seq=self.tick())
            if self._over_limit(member, now):
                self.dropped.append({"userid": member.userid, **delivered.view()})
                member.lost.append(delivered)
                continue
            member.inbox.append(delivered)
            if task_id is not None:
                self.tasks.setdefault(task_id, []).append(delivered)
        if task_id is not None:
            self.tasks.setdefault(task_id, [])  # taken even when every copy was dropped
        self.changed()
        return {"errcode": 0, "errmsg": "ok", "invaliduser": "|".join(invalid), "msgid": msgid}

    def _over_limit(self, member: Member, now: datetime) -> bool:
        if not self.limits.enabled:
            return False
        stamp = now.timestamp()
        times = member.sent_times
        while times and times[0] <= stamp - 3600:
            times.popleft()
        last_minute = sum(1 for t in times if t > stamp - 60)
        if last_minute >= self.limits.per_minute or len(times) >= self.limits.per_hour:
            return True
        times.append(stamp)
        return False

    # -- template cards -------------------------------------------------------------------------------------
    def issue_code(self, userid: str, task_id: str, key: str, *, check: bool = True) -> str:
        """A member pressed `key` on the card `task_id`: the event's ResponseCode (valid once, 24 h)."""
        if check:
            member = self.member(userid)
            cards = [c for c in (member.inbox if member else []) if c.task_id == task_id]
            if not cards:
                raise ValueError(f"{userid} has no card with task_id {task_id!r}")
            if key not in [k for _, k in card_buttons(cards[-1].payload)] or cards[-1].replaced is not None:
                raise ValueError(f"the card {task_id!r} of {userid} has no button {key!r} to press")
        code = secrets.token_urlsafe(24)
        self.codes[code] = ResponseCode(userid, task_id, self.clock())
        return code

    def update_card(self, body: dict[str, Any]) -> dict[str, Any]:
        self._check_agent(body)
        code = self.codes.get(str(body.get("response_code") or ""))
        if code is None:
            raise ApiError(40058, "invalid parameter: unknown response_code")
        if code.used:
            raise ApiError(40058, "invalid parameter: response_code already used")
        if (self.clock() - code.issued).total_seconds() > RESPONSE_CODE_SECONDS:
            raise ApiError(40058, "invalid parameter: response_code expired (24 h)")
        button, card = body.get("button"), body.get("template_card")
        if isinstance(card, dict):
            check_card(card, task_required=False)
        elif not (isinstance(button, dict) and str(button.get("replace_name") or "").strip()):
            raise ApiError(40058, "invalid parameter: template_card or button.replace_name is required")
        userids = body.get("userids") or [code.userid]
        if not isinstance(userids, list):
            raise ApiError(40058, "invalid parameter: userids must be a list")
        wanted = {str(u).lower() for u in userids}
        code.used = True
        for delivered in self.tasks.get(code.task_id, []):
            if delivered.userid.lower() not in wanted:
                continue
            delivered.updates += 1
            if isinstance(card, dict):
                delivered.payload, delivered.replaced = dict(card), None
            else:
                assert isinstance(button, dict)
                delivered.replaced = str(button["replace_name"])
        known = {d.userid.lower() for d in self.tasks.get(code.task_id, [])}
        self.changed()
        return {"errcode": 0, "errmsg": "ok", "invaliduser": sorted(wanted - known)}

    # -- media ----------------------------------------------------------------------------------------------
    def upload(self, kind: str, filename: str, data: bytes, content_type: str) -> dict[str, Any]:
        if kind not in MEDIA_LIMITS:
            raise ApiError(40004, "invalid media type")
        if len(data) < 5 or len(data) > MEDIA_LIMITS[kind]:
            raise ApiError(40006, "invalid media size")
        if kind == "image" and not (data.startswith(b"\x89PNG") or data.startswith(b"\xff\xd8")):
            raise ApiError(40005, "invalid file type: images are JPG or PNG")
        media_id = self.store_media(kind, filename, data, content_type)
        created = str(int(self.clock().timestamp()))
        return {"errcode": 0, "errmsg": "", "type": kind, "media_id": media_id, "created_at": created}

    def store_media(self, kind: str, filename: str, data: bytes, content_type: str) -> str:
        media_id = self._next("media")
        self.media[media_id] = Media(kind, filename, data, content_type, self.clock())
        return media_id

    def _live_media(self, media_id: str) -> Media:
        media = self.media.get(media_id)
        if media is None or (self.clock() - media.created).total_seconds() > MEDIA_SECONDS:
            raise ApiError(40007, "invalid media_id")
        return media

    def get_media(self, media_id: str) -> Media:
        return self._live_media(media_id)
