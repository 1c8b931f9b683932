"""`python -m tests.escalation.ticker URL NOW`: one process running the escalation tick (jobs.duty.tick, as
the bot's JobQueue does) at the moment NOW until nothing is due any more; prints how many it moved itself."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

from sqlmodel import col, func, select

from bot.services import Services
from jobs import duty
from safety.config import Defaults
from storage.db import Database
from storage.models import Obligation


async def main(url: str, now: datetime) -> int:
    services = Services(
        database_url=url, callback_secret=b"ticker", defaults=Defaults(channel="telegram"), clock=lambda: now
    )
    services.db = Database(url)
    moved = 0
    try:
        while True:
            moved += await duty.tick(services)
            async with services.reading() as session:
                due = select(func.count()).select_from(Obligation)
                left = (
                    await session.exec(
                        due.where(col(Obligation.state) == "open", col(Obligation.next_step_at) <= now)
                    )
                ).one()
            if not left:
                return moved
            await asyncio.sleep(0.01)
    finally:
        await services.database.dispose()


if __name__ == "__main__":
    print(asyncio.run(main(sys.argv[1], datetime.fromisoformat(sys.argv[2]))), flush=True)
