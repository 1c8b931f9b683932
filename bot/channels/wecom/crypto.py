"""WeCom's callback encryption (企业微信 回调加解密), as Tencent's WXBizMsgCrypt samples do it.

Key = base64(EncodingAESKey + "="), 32 bytes; AES-256-CBC with IV = key[:16]; the plaintext is
`random(16) | len(msg) as 4 bytes big-endian | msg | corp_id`, PKCS#7-padded to a multiple of 32 bytes
(not AES's 16); `msg_signature = sha1("".join(sorted([token, timestamp, nonce, encrypted])))`.

The signature is checked (in constant time) before anything is decrypted, and a decrypted message must
carry our corp id: a message for another corp, or encrypted with another key, is refused. Every refusal
is a CryptoError; its text never contains the key or the token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from xml.sax.saxutils import escape

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.channels.wecom import safexml

BLOCK = 32  # WeCom pads to 32 bytes
MAX_ENCRYPTED = 64 * 1024  # the callback body limit; nothing longer is decoded


class CryptoError(Exception):
    """A callback that cannot be trusted: bad signature, not decryptable, bad padding, other corp id."""


class WeComCrypto:
    """Signs, encrypts and decrypts the callbacks of one app (its Token, EncodingAESKey and corp id)."""

    def __init__(self, *, token: str, aes_key: str, corp_id: str) -> None:
        if len(aes_key) != 43:
            raise CryptoError("the EncodingAESKey must be 43 characters")
        try:
            key = base64.b64decode(aes_key + "=", validate=True)
        except binascii.Error:
            raise CryptoError("the EncodingAESKey is not base64") from None
        if len(key) != 32:
            raise CryptoError("the EncodingAESKey does not decode to 32 bytes")
        if not token or not corp_id:
            raise CryptoError("the token and the corp id must not be empty")
        self._token = token
        self._key = key
        self._corp_id = corp_id.encode("utf-8")

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    # -- signature -------------------------------------------------------------------------------------------
    def signature(self, timestamp: str, nonce: str, encrypted: str) -> str:
        """The hex sha1 of the four strings sorted and joined: WeCom's msg_signature."""
        joined = "".join(sorted([self._token, timestamp, nonce, encrypted]))
        return hashlib.sha1(joined.encode("utf-8")).hexdigest()

    def _check_signature(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        expected = self.signature(timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected.encode("ascii"), msg_signature.lower().encode("utf-8")):
            raise CryptoError("bad msg_signature")

    # -- the cipher ------------------------------------------------------------------------------------------
    def encrypt(self, plain: str, *, random16: bytes | None = None) -> str:
        """Base64 ciphertext of `plain` for our corp (random16: the 16 leading random bytes, for tests)."""
        prefix = os.urandom(16) if random16 is None else random16
        if len(prefix) != 16:
            raise ValueError("random16 must be 16 bytes")
        message = plain.encode("utf-8")
        data = prefix + struct.pack(">I", len(message)) + message + self._corp_id
        pad = BLOCK - len(data) % BLOCK
        encryptor = self._cipher().encryptor()
        encrypted = encryptor.update(data + bytes([pad]) * pad) + encryptor.finalize()
        return base64.b64encode(encrypted).decode("ascii")

    def decrypt(self, encrypted: str) -> str:
        """The message inside a base64 ciphertext; CryptoError if it is malformed or for another corp."""
        if len(encrypted) > MAX_ENCRYPTED * 4 // 3 + 4:
            raise CryptoError("ciphertext too long")
        try:
            data = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError):
            raise CryptoError("ciphertext is not base64") from None
        if not data or len(data) % BLOCK:
            raise CryptoError("ciphertext is not a whole number of blocks")
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise CryptoError("bad padding")
        content = plain[16:-pad]
        if len(content) < 4:
            raise CryptoError("message too short")
        (length,) = struct.unpack(">I", content[:4])
        if length > len(content) - 4:
            raise CryptoError("message length out of range")
        message, receiver = content[4 : 4 + length], content[4 + length :]
        if not hmac.compare_digest(receiver, self._corp_id):
            raise CryptoError("message for another corp id")
        try:
            return message.decode("utf-8")
        except UnicodeDecodeError:
            raise CryptoError("message is not UTF-8") from None

    # -- the callback shapes ---------------------------------------------------------------------------------
    def verify_url(self, *, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """The URL check (GET): the signature over echostr checked, its plaintext to answer with."""
        self._check_signature(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr)

    def decrypt_message(self, *, msg_signature: str, timestamp: str, nonce: str, body: bytes | str) -> str:
        """The inner XML of a POSTed callback `<xml><ToUserName/><Encrypt/><AgentID/></xml>`."""
        try:
            root = safexml.parse(body)
        except safexml.UnsafeXml as exc:
            raise CryptoError(f"callback body refused: {exc}") from None
        encrypted = root.findtext("Encrypt")
        if not encrypted:
            raise CryptoError("callback body has no Encrypt")
        self._check_signature(msg_signature, timestamp, nonce, encrypted)
        return self.decrypt(encrypted)

    def encrypt_message(self, plain: str, *, timestamp: str, nonce: str) -> str:
        """The XML WeCom would POST for the inner message `plain` (what the sandbox's phone sends); it also
        carries the MsgSignature, TimeStamp and Nonce that go in the POST's query string."""
        encrypted = self.encrypt(plain)
        signature = self.signature(timestamp, nonce, encrypted)
        return (
            f"<xml><ToUserName>{escape(self._corp_id.decode('utf-8'))}</ToUserName>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt><MsgSignature>{signature}</MsgSignature>"
            f"<TimeStamp>{escape(timestamp)}</TimeStamp><Nonce>{escape(nonce)}</Nonce></xml>"
        )
