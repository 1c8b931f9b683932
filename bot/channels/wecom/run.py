"""Starting WeCom beside a started Telegram Application (bot.runner's hook, `bridge.start_wecom`): the API
client, the WeCom outbox dispatcher (WeComChannel, paced per member), the WeCom Application with its bridge,
and the callback URL (CallbackEndpoint on tornado) at SAFETYBOT_LISTEN + SAFETYBOT_WECOM_CALLBACK_PATH.
Everything shares the Telegram Application's Services: one database, one outbox. Stopped in reverse."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import tornado.web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from bot.app import build_wecom_application, running_wecom
from bot.channels.wecom.callback import CallbackEndpoint, tornado_handler
from bot.channels.wecom.channel import WeComChannel
from bot.channels.wecom.client import WeComClient
from bot.channels.wecom.crypto import WeComCrypto
from bot.services import Services
from jobs.dispatch_config import DispatchConfig
from jobs.dispatcher import Dispatcher
from safety.outbox import Envelope, enqueue
from safety.views import Text, View
from storage import wecom_bridge_queries as bq

if TYPE_CHECKING:
    from bot.runner import WeComRun

logger = logging.getLogger(__name__)
CONFIG_KEY = "dispatch_config"


@asynccontextmanager
async def start_wecom(run: WeComRun) -> AsyncIterator[str]:
    """Run the WeCom channel until the block ends; yields the callback URL served."""
    settings = run.settings
    assert settings.wecom_corp_id and settings.wecom_agent_id and settings.wecom_secret
    assert settings.wecom_token and settings.wecom_aes_key
    services: Services = run.telegram.bot_data["services"]
    client = WeComClient(
        base_url=settings.wecom_base_url,
        corp_id=settings.wecom_corp_id,
        secret=settings.wecom_secret.get_secret_value(),
        agent_id=settings.wecom_agent_id,
    )
    await client.start()
    channel = WeComChannel(
        client,
        services.database,
        secret=services.callback_secret,
        data_dir=services.data_dir,
        clock=services.clock,
        admins_alert=admins_alert(services),
    )
    config: DispatchConfig = run.telegram.bot_data.get(CONFIG_KEY) or DispatchConfig(
        send_rate=services.send_rate
    )
    config = dataclasses.replace(config, defaults=services.defaults)
    dispatcher = Dispatcher(
        services.database, channel, config, budget=channel.send_budget(), clock=services.clock
    )
    await dispatcher.start()
    services.dispatchers.append(dispatcher)  # woken with the others when rows are committed
    crypto = WeComCrypto(
        token=settings.wecom_token.get_secret_value(),
        aes_key=settings.wecom_aes_key.get_secret_value(),
        corp_id=settings.wecom_corp_id,
    )
    server: HTTPServer | None = None
    try:
        async with running_wecom(build_wecom_application(services, client)) as bridge:
            endpoint = CallbackEndpoint(crypto, services.database, bridge, clock=services.clock)
            path = settings.wecom_callback_path
            sockets = bind_sockets(settings.listen_port, settings.listen_host or None)
            server = HTTPServer(tornado.web.Application([(path, tornado_handler(endpoint))]))
            server.add_sockets(sockets)
            host, port = sockets[0].getsockname()[:2]
            try:
                yield f"http://{host}:{port}{path}"
            finally:
                server.stop()
                await endpoint.drain()
    finally:
        if dispatcher in services.dispatchers:
            services.dispatchers.remove(dispatcher)
        try:
            await dispatcher.stop()
        finally:
            await client.stop()


def admins_alert(services: Services) -> Callable[[str], Awaitable[None]]:
    """WeComChannel's alert on a configuration fault (40001 / 48002 / 60020): each admin told once a day and
    errcode, on Telegram when they are bound there (WeCom is what fails), else on their channel."""

    async def alert(errcode: str) -> None:
        now = services.now()
        view = View((Text("wecom_bridge.config_fault", errcode=errcode),))
        async with services.session() as session:
            admins = await bq.admin_ids(session)
            on_telegram = await bq.bound_on(session, person_ids=admins, channel="telegram")
            envelopes = [
                Envelope(
                    key=f"wecom-config:{errcode}:{now.date().isoformat()}:{person_id}",
                    kind="alert",
                    view=view,
                    person_id=person_id,
                    channel="telegram" if person_id in on_telegram else None,
                )
                for person_id in admins
            ]
            await enqueue(session, envelopes, now=now, default_channel=services.defaults.channel)
        services.wake_dispatchers()

    return alert
