"""WeCom's failures, by `errcode` (never `errmsg`, whose wording changes), as the channel-neutral delivery
errors the dispatcher understands.

    -1                      system busy                      Transient (retried with backoff)
    45009 / 45033           call frequency / concurrency     RateLimited (every send waits)
    81013 / 60111 / 40003   no such member / invalid userid  Unreachable (the leader is told)
    40001 / 48002 / 60020   bad secret / API not allowed /   ConfigurationFault: every call would fail the
                            server IP not trusted            same way, so every send waits long, and the
                                                             admins are alerted (once a kind, channel.py)
    anything else           a malformed message              Rejected (not retried)

A network failure or an HTTP error status is Transient. The texts carry no URL: WeCom's URLs hold the
access token or the secret.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from safety.delivery import DeliveryError, RateLimited, Rejected, Transient, Unreachable

BUSY = -1
TOKEN_INVALID = 40014
TOKEN_EXPIRED = 42001
TOKEN_ERRORS = frozenset({TOKEN_INVALID, TOKEN_EXPIRED})
FREQUENCY = 45009
CONCURRENCY = 45033
RATE_LIMITS = {FREQUENCY: 60.0, CONCURRENCY: 5.0}  # errcode -> seconds every send waits
NO_SUCH_USER = frozenset({81013, 60111, 40003})
SECRET_INVALID = 40001
API_FORBIDDEN = 48002
IP_NOT_TRUSTED = 60020
CONFIGURATION = frozenset({SECRET_INVALID, API_FORBIDDEN, IP_NOT_TRUSTED})
CONFIGURATION_WAIT = 300.0


class WeComError(Exception):
    """An answer with a non-zero `errcode` (or a body that is no WeCom answer: errcode -1)."""

    def __init__(self, errcode: int, errmsg: str = "") -> None:
        super().__init__(f"WeCom errcode {errcode}")
        self.errcode = errcode
        self.errmsg = errmsg


@dataclass
class ConfigurationFault(RateLimited, Transient):
    """The app is set up wrong (secret, API rights, 企业可信IP): nothing will get through until an admin
    fixes it. A `Transient` that the dispatcher treats as a long pause (it is a `RateLimited` too), so no
    message is lost and WeCom is not hammered meanwhile."""

    errcode: int = 0
    retry_after: float = CONFIGURATION_WAIT


def delivery_error(exc: Exception) -> DeliveryError:
    """The delivery error for a failed WeCom call (WeComError, an httpx error, anything else)."""
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, WeComError):
        code = exc.errcode
        if code in RATE_LIMITS:
            return RateLimited(retry_after=RATE_LIMITS[code])
        if code in CONFIGURATION:
            return ConfigurationFault(reason=f"WeCom errcode {code}", errcode=code)
        if code in NO_SUCH_USER:
            return Unreachable(f"WeCom errcode {code}")
        if code == BUSY or code in TOKEN_ERRORS:
            return Transient(reason=f"WeCom errcode {code}")
        return Rejected(f"WeCom errcode {code}")
    if isinstance(exc, httpx.HTTPStatusError):
        return Transient(reason=f"WeCom HTTP {exc.response.status_code}")
    return Transient(reason=f"WeCom {type(exc).__name__}")
