"""Who a WeCom member is to the handlers: the synthetic Telegram ids of the bridge (`WECOM_USER_BASE + person
id`, above any Telegram user id) mapped to their userid, the texts of recent cards (a press's message shows
it; an edit of only the buttons needs it), and the photos members sent, kept in the data dir under file ids
of our own. Shared by the bridge (bridge.py) and the Bot API translator (botapi.py)."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from bot.channels.wecom import render
from bot.services import Services
from storage import wecom_bridge_queries as bq

WECOM_USER_BASE = 5_000_000_000_000_000  # above 2**52 (Telegram ids), below 2**53 (exact in JSON)
MEDIA_DIR = "wecom_media"  # under the data dir: photos members sent, fetched with media/get at once
FILE_PREFIX = "wecom-"  # file ids of those photos: FILE_PREFIX + file name in MEDIA_DIR
TEXT_CACHE = 20_000


def chat_id_of(person_id: int) -> int:
    return WECOM_USER_BASE + person_id


def person_of_chat(chat_id: object) -> int | None:
    try:
        number = int(str(chat_id))
    except ValueError:
        return None
    return number - WECOM_USER_BASE if number > WECOM_USER_BASE else None


def media_path(data_dir: Path, file_id: str) -> Path | None:
    """The local copy behind one of our file ids; None for any other id (a Telegram file id, junk)."""
    name = file_id.removeprefix(FILE_PREFIX)
    if not file_id.startswith(FILE_PREFIX) or not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    return data_dir / MEDIA_DIR / name


class BotApiRefused(Exception):
    """A call the Bot API would answer 400 (unknown chat, bad file id)."""


class Directory:
    """Which WeCom member a synthetic chat id is (kept from their updates; else read from their "wecom"
    chat identity), and the text each recent card shows (an update of only its buttons needs it)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._userids: dict[int, str] = {}
        self._texts: OrderedDict[int, tuple[str, str]] = OrderedDict()  # card -> (text, buttons as shown)

    def remember(self, chat_id: int, userid: str) -> None:
        self._userids[chat_id] = userid

    async def userid(self, chat_id: object) -> str:
        person_id = person_of_chat(chat_id)
        if person_id is None:
            raise BotApiRefused("Bad Request: chat not found")
        known = self._userids.get(chat_id_of(person_id))
        if known is not None:
            return known
        async with self.services.reading() as session:
            userid = await bq.userid_of(session, person_id=person_id)
        if userid is None:
            raise BotApiRefused("Bad Request: chat not found")
        self._userids[chat_id_of(person_id)] = userid
        return userid

    def remember_text(self, card_id: int, text: str, buttons: render.Buttons = ()) -> None:
        self._texts[card_id] = (text, repr([list(row) for row in buttons]))
        self._texts.move_to_end(card_id)
        while len(self._texts) > TEXT_CACHE:
            self._texts.popitem(last=False)

    def text_of(self, card_id: int) -> str | None:
        shown = self._texts.get(card_id)
        return None if shown is None else shown[0]

    def shows(self, card_id: int, text: str, buttons: render.Buttons) -> bool:
        """Whether the card shows exactly this already (an edit to it would change nothing)."""
        return self._texts.get(card_id) == (text, repr([list(row) for row in buttons]))
