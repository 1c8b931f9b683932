"""The Bot API, answered by WeCom: a `telegram.request.BaseRequest` for the WeCom Application, so the same
handlers that talk to Telegram talk to WeCom members.

PTB calls `do_request` with a Bot API URL; the method is its last part. Each method the handlers use is
carried out with the WeCom client and render.py and answered the way the Bot API would (`{"ok": true,
"result": …}`): sendMessage sends text, or template cards for inline buttons (button key = the signed
callback data); editMessageText / editMessageReplyMarkup update the card with the `response_code` its last
press brought (once, within 24 h), else send a fresh card; answerCallbackQuery sends its text, if any, as a
message; sendDocument / sendPhoto upload the file (media/upload); getFile and the file download read the
photos the bridge fetched when a member sent them. Commands menus and the like have no WeCom counterpart:
answered ok, nothing done.

Chat and user ids are synthetic (directory.py: `WECOM_USER_BASE + person id`, above any Telegram user id):
every id a handler sees is an int, and each maps to one WeCom member. A message_id is a `WeComCard` id.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram.request import BaseRequest, RequestData

from bot.channels.wecom import render
from bot.channels.wecom.channel import retire_buttons, task_prefix
from bot.channels.wecom.client import WeComClient
from bot.channels.wecom.directory import (
    FILE_PREFIX,
    WECOM_USER_BASE,
    BotApiRefused,
    Directory,
    media_path,
)
from bot.channels.wecom.errors import BUSY, NO_SUCH_USER, RATE_LIMITS, WeComError, delivery_error
from bot.services import Services
from safety.delivery import Rejected
from safety.texts import t
from storage import wecom_queries as wq

logger = logging.getLogger(__name__)

BASE_URL = "http://wecom.bridge/bot"  # never fetched: do_request answers every URL itself
FILE_BASE_URL = "http://wecom.bridge/file/bot"
FILE_MARK = "/file/bot"
BOT_USER = {"id": WECOM_USER_BASE, "is_bot": True, "first_name": "safetybot", "username": "safetybot_wecom"}
NO_OPS = frozenset({"sendChatAction", "deleteMessage", "getMyCommands", "close", "logOut", "deleteWebhook"})
INVALID_USER = 81013


@dataclass(frozen=True)
class _Shown:
    task_id: str | None  # None: a text or file message
    msg_id: str | None
    response_code: str | None  # a card's send answer brings one (it updates the card once)


def _kept(shown: list[_Shown]) -> list[_Shown]:
    cards = [s for s in shown if s.task_id is not None]
    return cards or shown[:1]


Method = Callable[[dict[str, Any], dict[str, Any]], Awaitable[Any]]


class WeComBotApiRequest(BaseRequest):
    """Answers the Bot API methods the handlers call, by calling WeCom."""

    def __init__(self, client: WeComClient, services: Services, directory: Directory | None = None) -> None:
        self.client = client
        self.services = services
        self.directory = directory or Directory(services)
        self.rate_limit_seconds: dict[int, float] = dict(RATE_LIMITS)  # errcode -> the retry_after told PTB
        self._methods: dict[str, Method] = {
            "getMe": self._get_me,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_text,
            "editMessageCaption": self._edit_text,
            "editMessageReplyMarkup": self._edit_markup,
            "answerCallbackQuery": self._answer_callback,
            "sendDocument": self._send_file,
            "sendPhoto": self._send_file,
            "getFile": self._get_file,
        }

    @property
    def read_timeout(self) -> float | None:
        return 10.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if FILE_MARK in url:
            return self._download(url)
        name = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data is not None else {}
        files: dict[str, Any] = (
            dict(request_data.multipart_data)
            if request_data is not None and request_data.contains_files
            else {}
        )
        call = self._methods.get(name)
        if call is None:
            if name.startswith(("set", "delete")) or name in NO_OPS:
                return _answer(True)
            logger.info("wecom bridge: Bot API method %s is not available on WeCom", name)
            return _failure(400, f"Bad Request: {name} is not available on WeCom")
        try:
            return _answer(await call(params, files))
        except BotApiRefused as exc:
            return _failure(400, str(exc))
        except WeComError as exc:
            return _wecom_failure(exc, self.rate_limit_seconds)

    # -- methods -------------------------------------------------------------------------------------------
    async def _get_me(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        return {**BOT_USER, "can_join_groups": False, "can_read_all_group_messages": False}

    async def _send_message(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        chat_id = params.get("chat_id")
        userid = await self.directory.userid(chat_id)
        text, buttons = _text_and_buttons(str(params.get("text") or ""), params.get("reply_markup"))
        card_id = await self._send_text(userid, text, buttons)
        return self._message(chat_id, card_id, text=text, markup=params.get("reply_markup"))

    async def _edit_text(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        chat_id, message_id = params.get("chat_id"), int(params.get("message_id") or 0)
        userid = await self.directory.userid(chat_id)
        raw = str(params.get("text") if "text" in params else params.get("caption") or "")
        text, buttons = _text_and_buttons(raw, params.get("reply_markup"))
        card_id = await self._edit(userid, message_id, text, buttons)
        return self._message(chat_id, card_id, text=text, markup=params.get("reply_markup"))

    async def _edit_markup(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        """Only the buttons change: the card keeps the text it shows (known for the cards this process sent).
        Buttons removed give way to the text (or 已处理) when a press left a response code; a card that
        cannot be updated keeps them: a later press is re-checked and refused as stale, so sending a fresh
        card only to remove them would be noise."""
        chat_id, message_id = params.get("chat_id"), int(params.get("message_id") or 0)
        userid = await self.directory.userid(chat_id)
        text = self.directory.text_of(message_id)
        shown, buttons = _text_and_buttons(text or "", params.get("reply_markup"))
        if text is None and not buttons:  # a card whose text this process does not know: only answered
            await retire_buttons(
                self.client,
                self.services.session,
                userid=userid,
                card_id=message_id,
                text=t(self.services.defaults.language, "wecom_bridge.answered"),
                now=self.services.now(),
            )
            return self._message(chat_id, message_id, text=None, markup=None)
        shown = shown or t(self.services.defaults.language, "wecom_bridge.buttons_changed")
        card_id = await self._edit(userid, message_id, shown, buttons, fresh_if_stale=bool(buttons))
        return self._message(chat_id, card_id, text=shown, markup=params.get("reply_markup"))

    async def _answer_callback(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        """A press's answer shows as a message on WeCom, and only when it says something."""
        text = str(params.get("text") or "")
        if text:
            chat_id, _, _ = str(params.get("callback_query_id") or "").partition(".")
            userid = await self.directory.userid(chat_id)
            await self._send_text(userid, text, [])
        return True

    async def _send_file(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        """The file (media/upload, then a file or image message), its caption and buttons after it."""
        chat_id = params.get("chat_id")
        userid = await self.directory.userid(chat_id)
        field = "photo" if "photo" in params or "photo" in files else "document"
        filename, data = self._file_content(field, params, files)
        kind = "image" if field == "photo" else "file"
        media_id = await self.client.upload_media(kind=kind, filename=filename, data=data)
        card_id = await self._deliver(
            userid, [await self._send_one(render.file_message(userid, media_id, kind=kind))]
        )
        caption, buttons = _text_and_buttons(str(params.get("caption") or ""), params.get("reply_markup"))
        if caption or buttons:
            shown = caption or t(self.services.defaults.language, "wecom_bridge.buttons_changed")
            card_id = await self._send_text(userid, shown, buttons)
        out_id = f"{FILE_PREFIX}out-{card_id}"
        attached: dict[str, Any] = {"file_id": out_id, "file_unique_id": out_id}
        extra: dict[str, Any] = (
            {"photo": [{**attached, "width": 1, "height": 1}]}
            if field == "photo"
            else {"document": {**attached, "file_name": filename}}
        )
        message = self._message(chat_id, card_id, text=None, markup=params.get("reply_markup"))
        return {**message, **extra, **({"caption": caption} if caption else {})}

    async def _get_file(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        file_id = str(params.get("file_id") or "")
        path = media_path(self.services.data_dir, file_id)
        if path is None or not path.is_file():
            raise BotApiRefused("Bad Request: wrong file_id or the file is temporarily unavailable")
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_size": path.stat().st_size,
            "file_path": path.name,
        }

    def _download(self, url: str) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        path = media_path(self.services.data_dir, FILE_PREFIX + name)
        if path is None or not path.is_file():
            return _failure(404, "Not Found")
        return 200, path.read_bytes()

    # -- sending -------------------------------------------------------------------------------------------
    def _file_content(self, field: str, params: dict[str, Any], files: dict[str, Any]) -> tuple[str, bytes]:
        if field in files:
            filename, content, _mime = files[field]
            data = content if isinstance(content, bytes) else content.read()
            return str(filename or field), bytes(data)
        path = media_path(self.services.data_dir, str(params.get(field) or ""))
        if path is None or not path.is_file():  # a Telegram file id: WeCom cannot send it
            raise BotApiRefused("Bad Request: wrong file identifier/HTTP URL specified")
        return path.name, path.read_bytes()

    async def _send_text(self, userid: str, text: str, buttons: render.Buttons) -> int:
        card_id = await self._deliver(userid, await self._send_all(userid, text, buttons))
        self.directory.remember_text(card_id, text, buttons)
        return card_id

    async def _send_all(self, userid: str, text: str, buttons: render.Buttons) -> list[_Shown]:
        messages = render.button_cards(userid, text, buttons, task_prefix=task_prefix())
        return [await self._send_one(message) for message in messages]

    async def _send_one(self, message: dict[str, Any]) -> _Shown:
        answer = await self.client.send(message)
        if str(message.get("touser")) in str(answer.get("invaliduser") or "").split("|"):
            raise WeComError(INVALID_USER, "invaliduser")  # not in the corp (any more): Forbidden
        card = message.get("template_card")
        return _Shown(
            card["task_id"] if card else None,
            str(answer.get("msgid") or "") or None,
            str(answer.get("response_code") or "") or None,
        )

    async def _deliver(self, userid: str, shown: list[_Shown]) -> int:
        """One WeComCard row per card sent (or the first text, without cards): the first is the message."""
        async with self.services.session() as session:
            ids = [
                await wq.add_card(
                    session,
                    userid=userid,
                    task_id=s.task_id,
                    msg_id=s.msg_id,
                    now=self.services.now(),
                    response_code=s.response_code,
                )
                for s in _kept(shown)
            ]
        return ids[0]

    async def _edit(
        self, userid: str, card_id: int, text: str, buttons: render.Buttons, *, fresh_if_stale: bool = True
    ) -> int:
        """The card updated in place when a press left a usable response code and the new state fits one
        card with buttons; else the new state sent fresh, the message now standing for it (as channel.py).
        An edit to what the card shows already is refused as the Bot API does ("message is not modified")."""
        if self.directory.shows(card_id, text, buttons):
            raise BotApiRefused("Bad Request: message is not modified")
        if buttons and render.fits_card(text) and render.card_fits_buttons(buttons):
            async with self.services.session() as session:
                taken = await wq.take_response(session, card_id=card_id, now=self.services.now())
            if taken is not None:
                task_id, code = taken
                card = render.updated_card(text, buttons, task_id=task_id)
                try:
                    await self.client.update_template_card(userids=[userid], response_code=code, card=card)
                    self.directory.remember_text(card_id, text, buttons)
                    return card_id
                except WeComError as exc:
                    if not isinstance(delivery_error(exc), Rejected):
                        raise
                    logger.info("wecom card %s not updated (errcode %s): a fresh one", card_id, exc.errcode)
        if not buttons:
            await retire_buttons(
                self.client,
                self.services.session,
                userid=userid,
                card_id=card_id,
                text=text,
                now=self.services.now(),
            )
        if not fresh_if_stale:
            return card_id
        kept = _kept(await self._send_all(userid, text, buttons))
        async with self.services.session() as session:
            if await wq.get_card(session, card_id) is None:  # not a message of ours: a new one
                card_id = 0
            else:
                first, *kept = kept
                await wq.repoint(
                    session,
                    card_id=card_id,
                    task_id=first.task_id,
                    msg_id=first.msg_id,
                    now=self.services.now(),
                    response_code=first.response_code,
                )
            now = self.services.now()
            for s in kept:
                added = await wq.add_card(
                    session,
                    userid=userid,
                    task_id=s.task_id,
                    msg_id=s.msg_id,
                    now=now,
                    response_code=s.response_code,
                )
                card_id = card_id or added
        self.directory.remember_text(card_id, text, buttons)
        return card_id

    def _message(self, chat_id: Any, message_id: int, *, text: str | None, markup: Any) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(self.services.now().timestamp()),
            "chat": {"id": int(str(chat_id)), "type": "private"},
            "from": BOT_USER,
        }
        if text:
            message["text"] = text
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message


def _text_and_buttons(text: str, markup: Any) -> tuple[str, list[list[tuple[str, str]]]]:
    """The inline keyboard's callback buttons as (label, data) rows; link buttons become lines of the text.
    Reply keyboards (share contact, share location) have no WeCom form: a member sends a location as is."""
    if isinstance(markup, str):
        markup = json.loads(markup)
    rows: list[list[tuple[str, str]]] = []
    links: list[str] = []
    keyboard = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    for row in keyboard:
        buttons = [(str(b.get("text", "")), str(b["callback_data"])) for b in row if b.get("callback_data")]
        links += [f"{b.get('text', '')}: {b['url']}" for b in row if b.get("url")]
        if buttons:
            rows.append(buttons)
    if links:
        text = "\n".join([text, *links]) if text else "\n".join(links)
    return text, rows


def _answer(result: Any) -> tuple[int, bytes]:
    return 200, json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode()


def _failure(status: int, description: str, **parameters: Any) -> tuple[int, bytes]:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return status, json.dumps(body).encode()


def _wecom_failure(exc: WeComError, waits: dict[int, float]) -> tuple[int, bytes]:
    """WeCom's errcode as the Bot API status PTB turns into the matching error (45009: RetryAfter)."""
    code = exc.errcode
    if code in waits:
        return _failure(429, f"Too Many Requests: WeCom errcode {code}", retry_after=waits[code])
    if code in NO_SUCH_USER:
        return _failure(403, f"Forbidden: WeCom errcode {code}")
    if code == BUSY:
        return _failure(502, f"Bad Gateway: WeCom errcode {code}")
    return _failure(400, f"Bad Request: WeCom errcode {code}")
