"""Conversations: multi-step input (a check-in issue, a violation, a leave request, a report) as a named flow
with a persisted state.

A person is in at most one flow. Its state (the flow's name, the step, the data so far) is a row that
survives a restart; every change is a compare-and-set on the row's version, so a stale button (from an
earlier step) or a racing second process changes nothing. A flow left alone for `TTL` expires: the next
input is told so, and the duty tick tells the person in a message (`expire_idle`). Starting a flow ends the
one it interrupts, and says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from safety import outbox
from safety.config import Defaults
from safety.outbox import Envelope
from safety.views import Text, View
from storage import flow_queries as fq

TTL = timedelta(minutes=30)


@dataclass(frozen=True)
class Flow:
    """A person's flow as stored: `version` is what a change must match."""

    person_id: int
    name: str
    step: str
    data: dict[str, Any]
    version: int
    updated_at: datetime

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


@dataclass(frozen=True)
class Expired:
    """The person's flow expired (and is gone now): tell them."""

    name: str


def _flow(row: Any) -> Flow:
    data = dict(row.data or {})
    step = str(data.pop("step", ""))
    return Flow(row.person_id, row.kind, step, data, row.version, row.updated_at)


async def current(session: AsyncSession, *, person_id: int, now: datetime) -> Flow | Expired | None:
    """The person's flow; an expired one is ended here and reported as `Expired` (once)."""
    row = await fq.get(session, person_id=person_id)
    if row is None:
        return None
    if now - row.updated_at > TTL:
        if await fq.delete_state(session, person_id=person_id, version=row.version):
            return Expired(row.kind)
        return None
    return _flow(row)


async def start(
    session: AsyncSession, *, person_id: int, name: str, step: str, now: datetime, **data: Any
) -> tuple[Flow, str | None]:
    """Start a flow (replacing any other); returns it and the name of the flow it interrupted."""
    before = await fq.get(session, person_id=person_id)
    interrupted = before.kind if before is not None and now - before.updated_at <= TTL else None
    version = await fq.put(session, person_id=person_id, kind=name, data={"step": step, **data}, now=now)
    flow = Flow(person_id, name, step, dict(data), version, now)
    return flow, interrupted if interrupted != name else None


async def advance(
    session: AsyncSession, flow: Flow, *, step: str, now: datetime, **changes: Any
) -> Flow | None:
    """Move the flow to `step` with `changes` merged into its data; None when it changed meanwhile."""
    data = {**flow.data, **changes}
    version = await fq.replace(
        session,
        person_id=flow.person_id,
        version=flow.version,
        kind=flow.name,
        data={"step": step, **data},
        now=now,
    )
    return Flow(flow.person_id, flow.name, step, data, version, now) if version is not None else None


async def end(session: AsyncSession, *, person_id: int, version: int | None = None) -> str | None:
    """End the person's flow (only at `version`, when given); returns the name of the flow ended."""
    row = await fq.get(session, person_id=person_id)
    if row is None or (version is not None and row.version != version):
        return None
    return row.kind if await fq.delete_state(session, person_id=person_id, version=row.version) else None


async def expire_idle(session: AsyncSession, *, now: datetime, defaults: Defaults) -> int:
    """End the flows left alone longer than TTL and tell each person which one ended (outbox)."""
    envelopes = []
    for row in await fq.idle_since(session, before=now - TTL):
        if await fq.delete_state(session, person_id=row.person_id, version=row.version):
            view = View((Text("flows.expired", flow=Text(f"flows.name_{row.kind}")),))
            key = f"flow:{row.person_id}:{row.kind}:{row.version}:expired"
            envelopes.append(Envelope(key=key, kind="flow", view=view, person_id=row.person_id))
    return await outbox.enqueue(session, envelopes, now=now, default_channel=defaults.channel)
