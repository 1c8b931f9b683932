"""The WeCom half of the sandbox chat page: the members, what the bot sent each of them in the fake API,
and what a member does (type, press a card's button, send a photo or a location) through WeComUser, so
through the encrypted callback like a real phone.

Attached to the Telegram sandbox's page (bot.sandbox.web.attach_channel_page); its actions are served at
`/sandbox/api/channel/wecom/<action>`. Until the bridge is running (`connect`), members can be read but not
act: those actions answer 503.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.sandbox_wecom.messages import ApiError
from bot.sandbox_wecom.server import WeComSandbox
from bot.sandbox_wecom.user import WeComUser

POLL_SECONDS = 25.0


class WeComPage:
    def __init__(self, sandbox: WeComSandbox) -> None:
        self.sandbox = sandbox
        self.user: WeComUser | None = None

    def connect(self, user: WeComUser | None) -> None:
        self.user = user

    async def __call__(self, action: str, method: str, data: dict[str, Any]) -> tuple[int, Any]:
        handler = getattr(self, f"_{method.lower()}_{action}", None)
        if handler is None:
            return 404, {"error": f"unknown action {method} {action}"}
        try:
            result: tuple[int, Any] = await handler(data)
        except (KeyError, ValueError, TypeError) as exc:
            return 400, {"error": str(exc)}
        return result

    # -- reading --------------------------------------------------------------------------------------------
    async def _get_members(self, data: dict[str, Any]) -> tuple[int, Any]:
        members = [
            {"userid": m.userid, "name": m.name, "label": m.label or m.name or m.userid}
            for m in self.sandbox.member_list()
        ]
        return 200, {"members": members, "connected": self.user is not None}

    async def _get_conversation(self, data: dict[str, Any]) -> tuple[int, Any]:
        userid = str(data["userid"])
        since = int(data.get("since") or -1)
        seconds = max(0.0, min(60.0, float(data.get("timeout") or 0)))
        state = self.sandbox.state
        await state.wait_changed(since, seconds)
        return 200, {"revision": state.revision, "messages": state.conversation(userid)}

    async def _get_media(self, data: dict[str, Any]) -> tuple[int, Any]:
        try:
            media = self.sandbox.state.get_media(str(data["media_id"]))
        except ApiError as exc:
            return 404, {"error": exc.errmsg}
        return 200, (media.data, media.content_type)

    # -- what a member does ---------------------------------------------------------------------------------
    async def _post_send(self, data: dict[str, Any]) -> tuple[int, Any]:
        text = str(data.get("text") or "")
        if not text.strip():
            return 400, {"error": "text is empty"}
        return await self._act(lambda user: user.send_text(str(data["userid"]), text))

    async def _post_press(self, data: dict[str, Any]) -> tuple[int, Any]:
        userid, task_id, key = str(data["userid"]), str(data["task_id"]), str(data["key"])
        return await self._act(lambda user: user.press(userid, task_id=task_id, key=key))

    async def _post_location(self, data: dict[str, Any]) -> tuple[int, Any]:
        latitude, longitude = float(data["latitude"]), float(data["longitude"])
        return await self._act(lambda user: user.send_location(str(data["userid"]), latitude, longitude))

    async def _post_photo(self, data: dict[str, Any]) -> tuple[int, Any]:
        upload = (data.get("_files") or {}).get("file")
        if upload is None or not upload.body:
            return 400, {"error": "no file"}
        content_type = upload.content_type or "image/jpeg"
        return await self._act(
            lambda user: user.send_image(str(data["userid"]), upload.body, content_type=content_type)
        )

    async def _act(self, act: Callable[[WeComUser], Awaitable[int]]) -> tuple[int, Any]:
        user = self.user
        if user is None:
            return 503, {"error": "WeCom 通道未运行 (the WeCom bridge is not running)"}
        status = await act(user)
        if status != 200:
            return 502, {"error": f"the bot's callback answered HTTP {status}", "status": status}
        return 200, {"status": status, "revision": self.sandbox.state.revision}
