"""The bridge: what a WeCom member does (W1's `Inbound`, once per callback) becomes a Telegram `Update` on the
WeCom Application's update queue, so the same handlers, guard and signed buttons serve both channels.

A member is the active person whose `wecom_userid` is their userid (none set: their employee number);
binding inside one corp needs no code, so the first message creates their "wecom" chat identity. An
unknown userid gets one refusal text and nothing else reaches the handlers.

User id = chat id = `WECOM_USER_BASE + person id` (directory.py maps it back to the userid); the user's
`username` is the userid, the chat account `ChatIdentity.external_id` holds (handlers.context.account_id).
Text: `/x` commands as they are, and the plain words of `PLAIN_WORDS` (打卡, 上报, …) as their commands.
A button press is a callback query whose data is the button key (our signed action) and whose message is
the `WeComCard` of its task id; the press's `response_code` is stored on that card for its next update.
A photo is fetched at once (media/get: WeCom keeps media 3 days) into the data dir, and handed on with a
file id getFile answers.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import time
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import Application

from bot.channels.wecom import render
from bot.channels.wecom.botapi import BOT_USER
from bot.channels.wecom.client import WeComClient
from bot.channels.wecom.directory import FILE_PREFIX, MEDIA_DIR, Directory, chat_id_of
from bot.channels.wecom.errors import WeComError
from bot.channels.wecom.events import Inbound, InboundButton, InboundImage, InboundLocation, InboundText
from bot.services import Services
from safety.texts import t
from storage import wecom_bridge_queries as bq
from storage import wecom_queries as wq
from storage.models import Person

if TYPE_CHECKING:
    from bot.runner import WeComRun

logger = logging.getLogger(__name__)

# Plain words a member may type instead of a command (the first word; what follows stays the arguments).
PLAIN_WORDS = {
    "打卡": "/checkin",
    "上报": "/report",
    "考试": "/quiz",
    "整改": "/tasks",
    "提示卡": "/cards",
    "待办": "/pending",
    "值班": "/onduty",
    "帮助": "/help",
    "取消": "/cancel",
}
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}


def command_text(text: str) -> str:
    """The text with a leading plain word turned into its command (`上报 …` → `/report …`)."""
    stripped = text.strip()
    word, space, rest = stripped.partition(" ")
    command = PLAIN_WORDS.get(word)
    if command is None:
        return text
    return f"{command} {rest.strip()}" if space and rest.strip() else command


class WeComBridge:
    """The CallbackEndpoint's sink: `await bridge(item)` for each new inbound item."""

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        services: Services,
        client: WeComClient,
        directory: Directory,
    ) -> None:
        self.app = app
        self.services = services
        self.client = client
        self.directory = directory
        self._update_ids = itertools.count(int(time.time() * 1000) % 1_000_000_000)
        self._message_ids = itertools.count(1)
        self._press_ids = itertools.count(1)

    async def __call__(self, item: Inbound) -> None:
        now = self.services.now()
        card_id, card_text = 0, None  # a press: the WeComCard of its task id (0: none of theirs), its text
        async with self.services.session() as session:
            person = await bq.person_by_userid(session, userid=item.userid)
            if person is not None and person.id is not None:
                await bq.ensure_identity(session, person_id=person.id, userid=item.userid, now=now)
                if isinstance(item, InboundButton):
                    card_id, card_text = await self._pressed_card(session, item, now)
        if person is None or person.id is None:
            await self._refuse(item.userid)
            return
        self.directory.remember(chat_id_of(person.id), item.userid)
        body = await self._body(item, person, card_id, card_text)
        if body is None:
            return
        update = Update.de_json({"update_id": next(self._update_ids), **body}, self.app.bot)
        await self.app.update_queue.put(update)

    async def _pressed_card(
        self, session: AsyncSession, item: InboundButton, now: datetime
    ) -> tuple[int, str | None]:
        """The pressed card's id and text, its press's response_code kept for its next update."""
        card = await wq.card_by_task(session, item.task_id)
        if card is None or card.id is None or card.userid != item.userid:
            return 0, None  # not a card of theirs: the press is still verified (and refused) by the handlers
        if item.response_code:
            await wq.record_response(session, task_id=item.task_id, response_code=item.response_code, now=now)
        return card.id, card.text

    async def _refuse(self, userid: str) -> None:
        logger.info("wecom: a message from a userid not on the roster was refused")
        text = t(self.services.defaults.language, "wecom_bridge.unknown_member")
        try:
            await self.client.send(render.text_message(userid, text))
        except WeComError as exc:
            logger.warning("wecom: the refusal was not sent (errcode %s)", exc.errcode)

    async def _body(
        self, item: Inbound, person: Person, card_id: int, card_text: str | None = None
    ) -> dict[str, Any] | None:
        assert person.id is not None
        chat = chat_id_of(person.id)
        user = {
            "id": chat,
            "is_bot": False,
            "first_name": person.name,
            "username": item.userid,
            **({"language_code": person.language} if person.language else {}),
        }
        chat_json = {"id": chat, "type": "private", "first_name": person.name}
        if isinstance(item, InboundButton):
            message: dict[str, Any] = {
                "message_id": card_id,
                "date": item.create_time,
                "chat": chat_json,
                "from": BOT_USER,
            }
            if (text := self.directory.text_of(card_id) or card_text) is not None:
                message["text"] = text
            press = {
                "id": f"{chat}.{next(self._press_ids)}",
                "from": user,
                "chat_instance": str(chat),
                "data": item.event_key,
                "message": message,
            }
            return {"callback_query": press}
        message = {
            "message_id": next(self._message_ids),
            "date": item.create_time,
            "chat": chat_json,
            "from": user,
        }
        if isinstance(item, InboundText):
            text = command_text(item.text)
            message["text"] = text
            if text.startswith("/"):
                length = len(text.split(maxsplit=1)[0]) if text.strip() else 1
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        elif isinstance(item, InboundLocation):
            message["location"] = {"latitude": item.latitude, "longitude": item.longitude}
        elif isinstance(item, InboundImage):
            stored = await self._fetch(item)
            if stored is None:
                await self._tell(item.userid, person, "wecom_bridge.photo_failed")
                return None
            file_id, size = stored
            unique = file_id.removeprefix(FILE_PREFIX)
            message["photo"] = [
                {"file_id": file_id, "file_unique_id": unique, "width": 0, "height": 0, "file_size": size}
            ]
        return {"message": message}

    async def _fetch(self, item: InboundImage) -> tuple[str, int] | None:
        """The photo downloaded into the data dir now: (our file id, size), None when WeCom failed."""
        try:
            data, kind = await self.client.get_media(item.media_id)
        except WeComError as exc:
            logger.warning("wecom: photo not fetched (errcode %s)", exc.errcode)
            return None
        name = hashlib.sha256(item.media_id.encode()).hexdigest()[:32] + EXTENSIONS.get(kind, ".jpg")
        folder = Path(self.services.data_dir) / MEDIA_DIR
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        return FILE_PREFIX + name, len(data)

    async def _tell(self, userid: str, person: Person, key: str) -> None:
        text = t(person.language or self.services.defaults.language, key)
        try:
            await self.client.send(render.text_message(userid, text))
        except WeComError as exc:
            logger.warning("wecom: a notice was not sent (errcode %s)", exc.errcode)


def start_wecom(run: WeComRun) -> AbstractAsyncContextManager[str]:
    """bot.runner's hook: WeCom started beside Telegram (run.py; imported here late, as it builds on bot.app,
    which imports this module)."""
    from bot.channels.wecom.run import start_wecom as started

    return started(run)
