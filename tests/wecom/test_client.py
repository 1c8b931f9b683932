"""The WeCom API client against a fake API at the HTTP boundary: the token cached, fetched again before it
expires and once for many concurrent calls, an expired token mid-send refreshed once, errors by errcode
(never errmsg) as delivery errors, and neither the secret nor the token in any log line or error text."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.channels.wecom.channel import WeComChannel
from bot.channels.wecom.client import REFRESH_EARLY, WeComClient
from bot.channels.wecom.errors import ConfigurationFault, WeComError, delivery_error
from safety.delivery import RateLimited, Recipient, Rejected, Transient, Unreachable
from safety.views import View
from storage.db import Database
from tests.wecom.fake_api import AGENT, BASE, CORP, SECRET, FakeWeCom


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def api() -> FakeWeCom:
    return FakeWeCom()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(api: FakeWeCom, clock: Clock) -> AsyncIterator[WeComClient]:
    async with api.http() as http:
        wecom = WeComClient(
            base_url=BASE, corp_id=CORP, secret=SECRET, agent_id=AGENT, http=http, clock=clock
        )
        await wecom.start()
        yield wecom
        await wecom.stop()


def _text(userid: str = "zhangsan") -> dict[str, object]:
    return {"touser": userid, "msgtype": "text", "text": {"content": "你好"}}


async def test_the_token_is_cached(client: WeComClient, api: FakeWeCom) -> None:
    for _ in range(3):
        await client.send(_text())
    assert api.token_fetches == 1
    assert [m["agentid"] for m in api.sent] == [AGENT] * 3


async def test_the_token_is_fetched_again_five_minutes_before_it_expires(
    client: WeComClient, api: FakeWeCom, clock: Clock
) -> None:
    await client.send(_text())
    clock.now += 7200 - REFRESH_EARLY - 1
    await client.send(_text())
    assert api.token_fetches == 1
    clock.now += 2
    await client.send(_text())
    assert api.token_fetches == 2
    assert api.calls.count("/message/send") == 3  # no send was refused: the old token was still good


async def test_twenty_concurrent_calls_share_one_token_fetch(client: WeComClient, api: FakeWeCom) -> None:
    await asyncio.gather(*(client.send(_text(f"u{i}")) for i in range(20)))
    assert api.token_fetches == 1
    assert sorted(m["touser"] for m in api.sent) == sorted(f"u{i}" for i in range(20))


@pytest.mark.parametrize("errcode", [42001, 40014])
async def test_an_expired_token_mid_send_is_refreshed_once_and_the_send_retried_once(
    client: WeComClient, api: FakeWeCom, errcode: int
) -> None:
    await client.send(_text())
    api.expire_tokens() if errcode == 42001 else api.fault("/message/send", errcode)
    api.calls.clear()
    await client.send(_text())
    assert api.calls == ["/message/send", "/gettoken", "/message/send"]
    assert api.token_fetches == 2
    assert len(api.sent) == 2


async def test_a_token_refused_twice_is_an_error_not_a_loop(client: WeComClient, api: FakeWeCom) -> None:
    api.fault("/message/send", 42001, times=5)
    with pytest.raises(WeComError) as caught:
        await client.send(_text())
    assert caught.value.errcode == 42001
    assert api.calls.count("/gettoken") == 2 and api.calls.count("/message/send") == 2


async def test_45009_is_rate_limited_and_gettoken_backs_off(
    client: WeComClient, api: FakeWeCom, clock: Clock
) -> None:
    api.fault("/message/send", 45009)
    with pytest.raises(WeComError) as caught:
        await client.send(_text())
    error = delivery_error(caught.value)
    assert isinstance(error, RateLimited) and error.retry_after >= 30
    api.expire_tokens()
    client.drop_token("tok1")
    api.fault("/gettoken", 45009)
    for _ in range(3):  # every caller gets the error; gettoken was called once
        with pytest.raises(WeComError):
            await client.send(_text())
    assert api.calls.count("/gettoken") == 2
    clock.now += 61
    await client.send(_text())
    assert api.calls.count("/gettoken") == 3


async def test_errors_go_by_errcode_never_errmsg(client: WeComClient, api: FakeWeCom) -> None:
    api.errmsg = "ok"
    api.fault("/message/send", 81013)
    with pytest.raises(WeComError) as caught:
        await client.send(_text())
    assert isinstance(delivery_error(caught.value), Unreachable)
    api.errmsg = "access_token expired, rate limited, invalid user"  # a success with a frightening errmsg
    assert (await client.send(_text()))["errcode"] == 0
    assert isinstance(delivery_error(WeComError(-1, "ok")), Transient)
    assert isinstance(delivery_error(WeComError(44004, "")), Rejected)
    assert isinstance(delivery_error(WeComError(60020, "ok")), ConfigurationFault)


async def test_media_upload_and_get(client: WeComClient, api: FakeWeCom) -> None:
    media_id = await client.upload_media(kind="file", filename="整改单.pdf", data=b"%PDF-1.4")
    assert media_id.startswith("media")
    kind, name, content = api.uploads[0]
    assert (kind, name) == ("file", "整改单.pdf") and b"%PDF-1.4" in content
    assert await client.get_media("m1") == (b"\x89PNG...", "image/png")


async def test_neither_secret_nor_token_in_logs_or_errors(
    api: FakeWeCom, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    wecom = WeComClient(base_url=BASE, corp_id=CORP, secret=SECRET, agent_id=AGENT, clock=clock)
    wecom._http = httpx.AsyncClient(transport=httpx.MockTransport(down))
    with pytest.raises(WeComError) as caught:
        await wecom.send(_text())
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert isinstance(delivery_error(caught.value), Transient)
    async with api.http() as http:
        wecom = WeComClient(
            base_url=BASE, corp_id=CORP, secret=SECRET, agent_id=AGENT, http=http, clock=clock
        )
        api.fault("/message/send", 42001)
        await wecom.send(_text())
        api.fault("/message/send", 60020)
        with pytest.raises(WeComError) as refused:
            await wecom.send(_text())
    said = caplog.text + str(caught.value) + repr(caught.value) + str(refused.value) + repr(wecom)
    assert SECRET not in said and "tok1" not in said and "tok2" not in said


async def test_60020_is_a_configuration_fault_with_one_admin_alert(
    db: Database, client: WeComClient, api: FakeWeCom, tmp_path: Path
) -> None:
    alerts: list[str] = []

    async def alert(kind: str) -> None:
        alerts.append(kind)

    channel = WeComChannel(client, db, secret=b"k" * 32, data_dir=tmp_path, admins_alert=alert)
    api.fault("/message/send", 60020, times=3)
    for _ in range(3):
        with pytest.raises(ConfigurationFault) as caught:
            await channel.send(Recipient("zhangsan", person_id=7), View(("隐患已整改",)))
        fault = caught.value  # a Transient the dispatcher treats as a long pause of every send (no loss)
        assert isinstance(fault, Transient) and isinstance(fault, RateLimited) and fault.retry_after >= 60
    assert alerts == ["60020"]
    await channel.send(Recipient("zhangsan", person_id=7), View(("隐患已整改",)))  # fixed: a later fault
    api.fault("/message/send", 60020)
    with pytest.raises(ConfigurationFault):
        await channel.send(Recipient("zhangsan", person_id=7), View(("隐患已整改",)))
    assert alerts == ["60020", "60020"]
