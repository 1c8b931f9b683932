"""The outbox dispatcher's settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from safety.config import Defaults


@dataclass(frozen=True)
class DispatchConfig:
    send_rate: float = 30.0  # the channel's overall limit (Settings.send_rate), replies and bulk together
    concurrency: int = 8  # sends in flight at once: also the most a crash can duplicate
    prefetch: int = 32  # claimed rows kept ready ahead of sending (claimed, not sent)
    lease: timedelta = timedelta(seconds=60)  # a claim older than this is taken over by any worker
    poll_interval: float = 0.5
    recover_every: float = 5.0  # how often expired leases are looked for (at start, then at most lease/4)
    max_hold: float = 5.0  # a chat's turn further away than this goes back to the database
    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    max_attempts: int = 12
    edit_recheck: float = 0.5  # an edit waits for its message to be sent, looking this often
    edit_hold: float = 30.0  # ... this long in memory, then it goes back to the database
    edit_defer: timedelta = timedelta(seconds=5)
    defaults: Defaults = field(default_factory=Defaults)
    drain_timeout: float = 15.0
    log_every: float = 10.0

    @property
    def default_language(self) -> str:
        return self.defaults.language
