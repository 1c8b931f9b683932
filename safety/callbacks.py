"""Callback data: short, versioned, signed for the one person it was sent to, never trusted content.

Format: ``1|<action>|<arg>|<mac>`` where mac is a truncated HMAC over version, person, action and arg.
A forged, altered or someone else's button fails the MAC; the handler still re-checks rights and state.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

VERSION = "1"
MAX_BYTES = 64
_MAC_CHARS = 11


@dataclass(frozen=True)
class Callback:
    action: str
    arg: str


def _mac(secret: bytes, person_id: int, action: str, arg: str) -> str:
    digest = hmac.new(secret, f"{VERSION}|{person_id}|{action}|{arg}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:_MAC_CHARS]


def encode(secret: bytes, *, person_id: int, action: str, arg: str = "") -> str:
    if "|" in action or "|" in arg:
        raise ValueError("callback action and arg must not contain '|'")
    data = f"{VERSION}|{action}|{arg}|{_mac(secret, person_id, action, arg)}"
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {action}|{arg}")
    return data


def decode(secret: bytes, *, person_id: int, data: str | None) -> Callback | None:
    """The callback if the data is well-formed, of this version and signed for this person; else None."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split("|")
    if len(parts) != 4 or parts[0] != VERSION:
        return None
    _, action, arg, mac = parts
    if not hmac.compare_digest(mac, _mac(secret, person_id, action, arg)):
        return None
    return Callback(action=action, arg=arg)


def derive_secret(material: str) -> bytes:
    """The signing key, derived from the bot token (or another secret) so nothing new must be configured."""
    return hashlib.sha256(b"safetybot-callback|" + material.encode()).digest()
