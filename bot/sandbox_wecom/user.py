"""WeComUser: a member's phone. It builds the XML WeCom POSTs to the app's callback URL (a text, a photo, a
location, a press of a template card's button), encrypts and signs it with the app's WeComCrypto, and POSTs
it with `msg_signature`, `timestamp` and `nonce` in the query, like WeCom does. Each call answers the HTTP
status the bot's callback gave.

A press asks the sandbox for a fresh ResponseCode first (so message/update_template_card accepts it once,
within 24 hours) and, unless `check=False`, refuses to press a button the member's card does not show.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import httpx

from bot.sandbox_wecom.server import WeComSandbox

if TYPE_CHECKING:
    from bot.channels.wecom.crypto import WeComCrypto


def cdata(value: str) -> str:
    """A CDATA section holding any text (a "]]>" inside is split across two sections)."""
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


class WeComUser:
    def __init__(
        self,
        sandbox: WeComSandbox,
        callback_url: str,
        crypto: WeComCrypto,
        *,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.callback_url = callback_url
        self.crypto = crypto
        self._http = http
        self._own_http = http is None
        self._msg_ids = 7_000_000_000_000_000_000

    async def __aenter__(self) -> WeComUser:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_http and self._http is not None:
            await self._http.aclose()
        self._http = None

    # -- what a member does ---------------------------------------------------------------------------------
    async def send_text(self, userid: str, text: str) -> int:
        self.sandbox.state.record_said(userid, {"msgtype": "text", "content": text})
        return await self._message(userid, "text", f"<Content>{cdata(text)}</Content>")

    async def send_image(self, userid: str, data: bytes, *, content_type: str = "image/jpeg") -> int:
        """The photo is stored in the sandbox (media/get serves it for 3 days), then MsgType image posted."""
        media_id = self.sandbox.state.store_media("image", "photo.jpg", data, content_type)
        self.sandbox.state.record_said(userid, {"msgtype": "image", "media_id": media_id, "content": "📷"})
        pic_url = f"{self.sandbox.url}/sandbox/pic/{media_id}"
        return await self._message(
            userid, "image", f"<PicUrl>{cdata(pic_url)}</PicUrl><MediaId>{cdata(media_id)}</MediaId>"
        )

    async def send_location(self, userid: str, latitude: float, longitude: float, label: str = "") -> int:
        content = f"📍 {latitude}, {longitude}"
        self.sandbox.state.record_said(userid, {"msgtype": "location", "content": content})
        return await self._message(
            userid,
            "location",
            f"<Location_X>{latitude}</Location_X><Location_Y>{longitude}</Location_Y>"
            f"<Scale>15</Scale><Label>{cdata(label)}</Label>",
        )

    async def press(self, userid: str, *, task_id: str, key: str, check: bool = True) -> int:
        """Press the button `key` of the member's card `task_id` (template_card_event)."""
        code = self.sandbox.state.issue_code(userid, task_id, key, check=check)
        label = next((text for text, k in self._buttons(userid, task_id) if k == key), key)
        said = {"msgtype": "press", "task_id": task_id, "key": key, "content": label}
        self.sandbox.state.record_said(userid, said)
        card_type = "button_interaction"
        inner = (
            f"<xml><ToUserName>{cdata(self.sandbox.corp_id)}</ToUserName>"
            f"<FromUserName>{cdata(userid)}</FromUserName><CreateTime>{self._now()}</CreateTime>"
            f"<MsgType>{cdata('event')}</MsgType><Event>{cdata('template_card_event')}</Event>"
            f"<EventKey>{cdata(key)}</EventKey><TaskId>{cdata(task_id)}</TaskId>"
            f"<CardType>{cdata(card_type)}</CardType><ResponseCode>{cdata(code)}</ResponseCode>"
            f"<AgentID>{self.sandbox.agent_id}</AgentID></xml>"
        )
        return await self.post_plain(inner)

    def _buttons(self, userid: str, task_id: str) -> list[tuple[str, str]]:
        try:
            return list(self.sandbox.card(userid, task_id)["buttons"])
        except KeyError:
            return []

    # -- the wire -------------------------------------------------------------------------------------------
    def _now(self) -> int:
        return int(self.sandbox.state.clock().timestamp())

    async def _message(self, userid: str, msgtype: str, fields: str) -> int:
        self.sandbox.add_member(userid)
        self._msg_ids += 1
        inner = (
            f"<xml><ToUserName>{cdata(self.sandbox.corp_id)}</ToUserName>"
            f"<FromUserName>{cdata(userid)}</FromUserName><CreateTime>{self._now()}</CreateTime>"
            f"<MsgType>{cdata(msgtype)}</MsgType>{fields}<MsgId>{self._msg_ids}</MsgId>"
            f"<AgentID>{self.sandbox.agent_id}</AgentID></xml>"
        )
        return await self.post_plain(inner)

    def envelope(self, inner_xml: str) -> tuple[dict[str, str], str]:
        """(query, body) of the POST carrying `inner_xml`: encrypted, signed, fresh timestamp and nonce."""
        timestamp, nonce = str(self._now()), str(secrets.randbelow(10**10))
        encrypted = self.crypto.encrypt(inner_xml)
        query = {
            "msg_signature": self.crypto.signature(timestamp, nonce, encrypted),
            "timestamp": timestamp,
            "nonce": nonce,
        }
        body = (
            f"<xml><ToUserName>{cdata(self.sandbox.corp_id)}</ToUserName>"
            f"<AgentID>{cdata(str(self.sandbox.agent_id))}</AgentID>"
            f"<Encrypt>{cdata(encrypted)}</Encrypt></xml>"
        )
        return query, body

    async def post_plain(self, inner_xml: str) -> int:
        """POST any inner XML the way WeCom does; the callback's HTTP status."""
        query, body = self.envelope(inner_xml)
        return await self.post_raw(query, body)

    async def post_raw(self, query: dict[str, str], body: str | bytes) -> int:
        """POST a body as it is (tests of tampering: a wrong signature, a replay of the same envelope)."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=10)
        response = await self._http.post(
            self.callback_url, params=query, content=body, headers={"Content-Type": "text/xml"}
        )
        return response.status_code
