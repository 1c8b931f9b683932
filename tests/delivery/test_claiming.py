"""Claiming outbox rows: concurrent claimers never share a row; a dead worker's claim expires."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from safety.outbox import Envelope
from storage import outbox_queries as oq
from storage.db import Database
from tests.delivery.helpers import literal, put, rows, utcnow

LEASE = timedelta(seconds=30)


def group_rows(n: int, **kwargs: object) -> list[Envelope]:
    return [
        Envelope(key=f"g:{i}", kind="test", chat_id="-100", view=literal(f"m{i}"), **kwargs)  # type: ignore[arg-type]
        for i in range(n)
    ]


async def test_concurrent_claimers_never_share_a_row(db: Database) -> None:
    await put(db, group_rows(300))
    now = utcnow()

    async def claimer(name: str) -> list[int]:
        mine: list[int] = []
        while True:
            async with db.session() as session:
                got = await oq.claim_due(
                    session, channel="telegram", now=now, worker=name, limit=7, lease=LEASE
                )
            if not got:
                return mine
            assert {r.claimed_by for r in got} == {name} and {r.status for r in got} == {"sending"}
            mine += [r.id or 0 for r in got]
            await asyncio.sleep(0.001)  # let the others in between

    claims = await asyncio.gather(*(claimer(f"w{i}") for i in range(4)))
    every = [row_id for claim in claims for row_id in claim]
    assert len(every) == len(set(every)) == 300
    stored = await rows(db)
    assert all(r.claimed_by and r.id in set(claims[int(r.claimed_by[1:])]) for r in stored.values())


async def test_only_due_rows_are_claimed_oldest_first(db: Database) -> None:
    now = utcnow()
    await put(db, group_rows(3))
    await put(
        db,
        [
            Envelope(
                key="later",
                kind="test",
                chat_id="-1",
                view=literal("x"),
                not_before=now + timedelta(minutes=5),
            )
        ],
    )
    async with db.session() as session:
        got = await oq.claim_due(
            session, channel="telegram", now=now + timedelta(seconds=1), worker="a", limit=10, lease=LEASE
        )
    assert [r.key for r in got] == ["g:0", "g:1", "g:2"]


async def test_a_claim_expires_after_the_lease_and_another_worker_takes_it(db: Database) -> None:
    await put(db, group_rows(5))
    t0 = utcnow() + timedelta(seconds=1)
    async with db.session() as session:
        assert (
            len(await oq.claim_due(session, channel="telegram", now=t0, worker="dead", limit=10, lease=LEASE))
            == 5
        )
    async with db.session() as session:  # within the lease: nothing for anyone
        assert (
            await oq.claim_due(
                session, channel="telegram", now=t0 + LEASE / 2, worker="b", limit=10, lease=LEASE
            )
            == []
        )
        assert not await oq.claim_due(
            session,
            channel="telegram",
            now=t0 + LEASE / 2,
            worker="b",
            limit=10,
            lease=LEASE,
            expired_only=True,
        )
    later = t0 + LEASE + timedelta(seconds=1)
    async with db.session() as session:
        taken = await oq.claim_due(
            session, channel="telegram", now=later, worker="b", limit=10, lease=LEASE, expired_only=True
        )
    assert sorted(r.key for r in taken) == [f"g:{i}" for i in range(5)]
    async with db.session() as session:  # the dead worker, were it only slow, may no longer send them
        assert not await oq.renew_claim(session, row_id=taken[0].id or 0, worker="dead", now=later)
        assert await oq.renew_claim(session, row_id=taken[0].id or 0, worker="b", now=later)
