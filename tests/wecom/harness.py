"""A running bot for WeCom flow tests: the flow harness's bot (tests/flow/harness.py: Telegram Application,
duty ticks, outbox) plus the WeCom side — the WeCom sandbox (a fake WeCom API on loopback), the WeCom
outbox channel, the WeCom Application of the bridge, and the real CallbackEndpoint served over loopback
HTTP, which a WeComUser (a phone) posts encrypted callbacks to, as WeCom does.

People reach the bot on WeCom only: their first message binds them (no codes inside one corp), so digests
and cards go to their WeCom chat."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tornado.web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from bot.app import build_wecom_application, running_wecom
from bot.channels.wecom.callback import CallbackEndpoint, tornado_handler
from bot.channels.wecom.channel import WeComChannel
from bot.channels.wecom.client import WeComClient
from bot.channels.wecom.crypto import WeComCrypto
from bot.sandbox_wecom import Limits, WeComSandbox, WeComUser
from jobs.send_budget import ChatShape, SendBudget
from safety.callbacks import derive_secret
from storage.db import Database
from storage.models import Person
from tests.flow.harness import EXAMPLES, TOKEN, Clock, Harness, running_bot

CALLBACK_PATH = "/wecom/callback"
CALLBACK_TOKEN = "flowtoken"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # 43 characters (Tencent's sample key)
Message = dict[str, Any]


@dataclass
class WeComHarness:
    flow: Harness  # the Telegram side: its clock, tick(), drain(), people, database
    sandbox: WeComSandbox
    phone: WeComUser
    endpoint: CallbackEndpoint
    client: WeComClient
    callback_url: str

    @property
    def db(self) -> Database:
        return self.flow.db

    @property
    def clock(self) -> Clock:
        return self.flow.clock

    @property
    def people(self) -> dict[str, Person]:
        return self.flow.people

    def userid(self, employee_no: str) -> str:
        person = self.people[employee_no]
        return person.wecom_userid or person.employee_no

    async def tick(self) -> None:
        await self.flow.tick()

    async def drain(self) -> None:
        await self.endpoint.drain()
        await self.flow.drain()

    def messages(self, employee_no: str) -> list[Message]:
        return self.sandbox.messages(self.userid(employee_no))

    def texts(self, employee_no: str) -> list[str]:
        return [str(m["content"]) for m in self.messages(employee_no)]

    async def wait_for(
        self, employee_no: str, predicate: Callable[[Message], bool], *, after: int = 0, seconds: float = 10.0
    ) -> Message:
        """The first message from index `after` on that `predicate` holds for (waiting for it to come)."""
        async with asyncio.timeout(seconds):
            while True:
                for message in self.messages(employee_no)[after:]:
                    if predicate(message):
                        return message
                await asyncio.sleep(0.02)

    async def say(self, employee_no: str, text: str, *, reply: bool = True) -> Message | None:
        """The member writes `text` in the app; the next message the bot sends them (`reply`)."""
        before = len(self.messages(employee_no))
        assert await self.phone.send_text(self.userid(employee_no), text) == 200
        if not reply:
            return None
        return await self.wait_for(employee_no, lambda m: True, after=before)

    async def hello(self, employee_no: str) -> Message:
        """Their first message: it binds them on WeCom."""
        answer = await self.say(employee_no, "/start")
        assert answer is not None
        return answer

    def card_with(self, employee_no: str, text: str) -> Message:
        """The latest card of theirs whose text, or the text sent just before it, contains `text`."""
        messages = self.messages(employee_no)
        for index in range(len(messages) - 1, -1, -1):
            message = messages[index]
            if message["task_id"] is None:
                continue
            before = (
                messages[index - 1]["content"] if index and messages[index - 1]["task_id"] is None else ""
            )
            if text in message["content"] or text in before:
                return message
        raise AssertionError(f"{employee_no} has no card with {text!r}: {self.texts(employee_no)}")

    async def press_and_wait(self, employee_no: str, card: Message, index: int) -> None:
        """Press the card's button `index` and wait until the bot answered: a new message, or the card
        updated."""
        userid, before = self.userid(employee_no), len(self.messages(employee_no))
        updates = self.sandbox.card(userid, card["task_id"])["updates"]
        status = await self.phone.press(userid, task_id=card["task_id"], key=card["buttons"][index][1])
        assert status == 200
        async with asyncio.timeout(10):
            while True:
                if len(self.messages(employee_no)) > before:
                    return
                if self.sandbox.card(userid, card["task_id"])["updates"] != updates:
                    return
                await asyncio.sleep(0.02)

    async def press(self, employee_no: str, card: Message | None, label: str) -> int:
        """Press the button `label` (labels are cut to 10 characters) on that card, or (None) on the latest
        card that has one (a message with more than 6 buttons is several cards)."""
        cards = (
            [card] if card is not None else [m for m in reversed(self.messages(employee_no)) if m["buttons"]]
        )
        for shown in cards:
            keys = [key for text, key in shown["buttons"] if label in text or text.rstrip("…") in label]
            if keys:
                return await self.phone.press(self.userid(employee_no), task_id=shown["task_id"], key=keys[0])
        raise AssertionError(f"no button {label!r} on {[c['buttons'] for c in cards]}")


class FastChannel(WeComChannel):
    """The WeCom dispatcher paced for the sandbox's raised limits (WeCom's own: 1 per 6 s a member)."""

    def send_budget(self) -> SendBudget:
        return SendBudget(3000, private=ChatShape(100.0, 20.0), group=ChatShape(100.0, 20.0))


@asynccontextmanager
async def running_wecom_bot(
    db: Database, *, org_file: Path = EXAMPLES / "org.yaml", clock: Clock | None = None, cleared: bool = True
) -> AsyncIterator[WeComHarness]:
    clock = clock or Clock()
    sandbox = WeComSandbox(clock=clock)
    sandbox.state.limits = Limits(per_minute=3000, per_hour=100_000)  # the flows are minutes in seconds
    await sandbox.start()
    client = WeComClient(
        base_url=sandbox.base_url, corp_id=sandbox.corp_id, secret=sandbox.secret, agent_id=sandbox.agent_id
    )
    await client.start()
    data_dir = Path(tempfile.mkdtemp(prefix="wecom-flow-"))
    channel = FastChannel(client, db, secret=derive_secret(TOKEN), data_dir=data_dir, clock=clock)
    crypto = WeComCrypto(token=CALLBACK_TOKEN, aes_key=AES_KEY, corp_id=sandbox.corp_id)
    server: HTTPServer | None = None
    try:
        async with running_bot(
            db, org_file=org_file, clock=clock, cleared=cleared, extra_channels=[channel]
        ) as flow:
            for person in flow.people.values():
                sandbox.add_member(person.wecom_userid or person.employee_no, person.name)
            services = flow.app.bot_data["services"]
            services.data_dir = data_dir
            fast = SendBudget(3000, private=ChatShape(100.0, 20.0), group=ChatShape(100.0, 20.0))
            app = build_wecom_application(services, client, budget=fast)
            app.bot.request.rate_limit_seconds = {45009: 0.2, 45033: 0.2}  # type: ignore[attr-defined]
            async with running_wecom(app) as bridge:
                endpoint = CallbackEndpoint(crypto, services.database, bridge, clock=clock)
                sockets = bind_sockets(0, "127.0.0.1")
                server = HTTPServer(tornado.web.Application([(CALLBACK_PATH, tornado_handler(endpoint))]))
                server.add_sockets(sockets)
                url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}{CALLBACK_PATH}"
                async with WeComUser(sandbox, url, crypto) as phone:
                    yield WeComHarness(flow, sandbox, phone, endpoint, client, url)
                await endpoint.drain()
    finally:
        if server is not None:
            server.stop()
        await client.stop()
        await sandbox.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
