"""Site locations as the rest of the bot sees them: the id rules and the QR deep link `loc-<id>`.

A location id is `[a-z0-9][a-z0-9-]*`, at most ID_MAX characters, so that the deep link's start payload
`loc-<id>` stays within Telegram's 64 characters of A-Z a-z 0-9 _ -. The payload is never taken for a
binding code (handlers/onboarding.py): /start with it opens /report at that location.
"""

from __future__ import annotations

import re

ID_MAX = 40
NAME_MAX = 200
PAYLOAD_PREFIX = "loc-"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def is_location_id(value: str) -> bool:
    return len(value) <= ID_MAX and ID_PATTERN.match(value) is not None


def payload(location_id: str) -> str:
    """The /start payload of a location's QR code."""
    return PAYLOAD_PREFIX + location_id


def is_location_payload(value: str) -> bool:
    """A /start payload meant for a location (well-formed or not): never to be taken for a binding code."""
    return value.startswith(PAYLOAD_PREFIX)


def location_id_of(value: str) -> str:
    """The location id a `loc-` payload names (not checked: an unknown id is refused by the lookup)."""
    return value.removeprefix(PAYLOAD_PREFIX)


def deep_link(bot_username: str, location_id: str) -> str:
    return f"https://t.me/{bot_username}?start={payload(location_id)}"
