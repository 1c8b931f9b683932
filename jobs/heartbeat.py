"""A heartbeat file the container health check reads: proof that the event loop and the scheduler run."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from telegram.ext import Application, CallbackContext

logger = logging.getLogger(__name__)
INTERVAL_SECONDS = 30
STALE_AFTER_SECONDS = 120
FILE_NAME = "heartbeat"


def heartbeat_path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


async def beat(context: CallbackContext[Any, Any, Any, Any]) -> None:
    path: Path = context.job.data if context.job else Path(FILE_NAME)  # type: ignore[assignment]
    await asyncio.to_thread(_write, path, time.time())


def _write(path: Path, stamp: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{stamp:.0f}\n")


def schedule(app: Application[Any, Any, Any, Any, Any, Any], data_dir: Path) -> None:
    """Every INTERVAL_SECONDS; a generous misfire grace: a busy loop delays the beat, never drops it."""
    assert app.job_queue is not None
    app.job_queue.run_repeating(
        beat,
        interval=INTERVAL_SECONDS,
        first=0,
        name="heartbeat",
        data=heartbeat_path(data_dir),
        job_kwargs={"id": "heartbeat", "replace_existing": True, "misfire_grace_time": 300, "coalesce": True},
    )


def is_fresh(data_dir: Path, now: float | None = None) -> bool:
    path = heartbeat_path(data_dir)
    try:
        stamp = float(path.read_text().strip())
    except (OSError, ValueError):
        return False
    return (now if now is not None else time.time()) - stamp < STALE_AFTER_SECONDS
