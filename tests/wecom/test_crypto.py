"""WeCom callback crypto against Tencent's own sample vectors (weworkapi_python callback/Sample.py: its
VerifyURL and DecryptMsg cases, and the older 企业号 vectors in its comments), round trips of our own
encryption, and the tampering a callback must not survive."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.wecom.crypto import CryptoError, WeComCrypto

# Sample.py (weworkapi_python, callback/): the app's settings ...
TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
CORP_ID = "ww1436e0e65a779aee"
# ... its VerifyURL case ...
VERIFY = {
    "msg_signature": "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb",
    "timestamp": "1476416373",
    "nonce": "47744683",
    "echostr": "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==",
}
VERIFY_PLAIN = "1288432023552776189"
# ... and its DecryptMsg case.
POST_QUERY = {
    "msg_signature": "0c3914025cb4b4d68103f6bfc8db550f79dcf48e",
    "timestamp": "1476422779",
    "nonce": "1597212914",
}
POST_DATA = (
    "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>\n<Encrypt><![CDATA["
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AE"
    "ew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD2"
    "4YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjay"
    "JOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+]]></Encrypt>\n"
    "<AgentID><![CDATA[1000002]]></AgentID>\n</xml>"
)
POST_PLAIN = (
    "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>"
    "<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
    "<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>"
)

# The 企业号 vectors of the same sample's comments (and STACK.md).
OLD_TOKEN, OLD_KEY, OLD_CORP = "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7"
OLD_ECHOSTR = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
OLD_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYv"
    "uJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+Lt"
    "wGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V"
    "2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptD"
    "AVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)


@pytest.fixture
def crypto() -> WeComCrypto:
    return WeComCrypto(token=TOKEN, aes_key=AES_KEY, corp_id=CORP_ID)


def raw_encrypt(aes_key: str, plain: bytes) -> str:
    """AES-256-CBC of already padded bytes with WeCom's key and IV: for ciphertexts our encrypt won't make."""
    key = base64.b64decode(aes_key + "=")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


# -- Tencent's vectors ---------------------------------------------------------------------------------------


def test_sample_verify_url(crypto: WeComCrypto) -> None:
    assert crypto.verify_url(**VERIFY) == VERIFY_PLAIN


def test_sample_decrypt_msg(crypto: WeComCrypto) -> None:
    assert crypto.decrypt_message(**POST_QUERY, body=POST_DATA.encode()) == POST_PLAIN
    assert crypto.decrypt_message(**POST_QUERY, body=POST_DATA) == POST_PLAIN


def test_sample_signature_is_sha1_of_sorted_strings(crypto: WeComCrypto) -> None:
    sig = crypto.signature(VERIFY["timestamp"], VERIFY["nonce"], VERIFY["echostr"])
    assert sig == VERIFY["msg_signature"]


def test_old_qy_vectors() -> None:
    crypto = WeComCrypto(token=OLD_TOKEN, aes_key=OLD_KEY, corp_id=OLD_CORP)
    echo = crypto.verify_url(
        msg_signature="5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
        timestamp="1409659589",
        nonce="263014780",
        echostr=OLD_ECHOSTR,
    )
    assert echo == "1616140317555161061"
    body = (
        f"<xml> <ToUserName><![CDATA[{OLD_CORP}]]></ToUserName><Encrypt><![CDATA[{OLD_ENCRYPT}]]></Encrypt>\n"
    )
    body += "<AgentID><![CDATA[218]]></AgentID>\n</xml>"
    inner = crypto.decrypt_message(
        msg_signature="477715d11cdb4164915debcba66cb864d751f3e6",
        timestamp="1409659813",
        nonce="1372623149",
        body=body,
    )
    assert "<FromUserName><![CDATA[mycreate]]></FromUserName>" in inner
    assert "<Content><![CDATA[hello]]></Content>" in inner


# -- our own encryption --------------------------------------------------------------------------------------


def test_encrypt_is_what_the_sample_would_decrypt(crypto: WeComCrypto) -> None:
    """Byte layout: random(16) | length big-endian | msg | corp id, padded with PKCS#7 to 32 bytes."""
    encrypted = crypto.encrypt("1288432023552776189", random16=b"0123456789abcdef")
    key = base64.b64decode(AES_KEY + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    body = b"0123456789abcdef" + struct.pack(">I", 19) + b"1288432023552776189" + CORP_ID.encode()
    pad = 32 - len(body) % 32
    assert plain == body + bytes([pad]) * pad
    assert len(plain) % 32 == 0


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_round_trip(text: str) -> None:
    crypto = WeComCrypto(token=TOKEN, aes_key=AES_KEY, corp_id=CORP_ID)
    assert crypto.decrypt(crypto.encrypt(text)) == text


@pytest.mark.parametrize("size", [0, 1, 31, 32, 33, 42, 44, 64, 1000])
def test_round_trip_around_block_sizes(crypto: WeComCrypto, size: int) -> None:
    """A message that fills the last block exactly gets a whole block of padding (32 × 0x20)."""
    text = "x" * size
    encrypted = crypto.encrypt(text)
    assert len(base64.b64decode(encrypted)) % 32 == 0
    assert crypto.decrypt(encrypted) == text


def test_encrypt_is_random_unless_told(crypto: WeComCrypto) -> None:
    assert crypto.encrypt("打卡") != crypto.encrypt("打卡")
    assert crypto.encrypt("打卡", random16=b"\0" * 16) == crypto.encrypt("打卡", random16=b"\0" * 16)


def test_encrypt_message_round_trips_through_decrypt_message(crypto: WeComCrypto) -> None:
    inner = "<xml><FromUserName>LiSi</FromUserName><Content><![CDATA[上报 & <b>]]></Content></xml>"
    body = crypto.encrypt_message(inner, timestamp="1700000000", nonce="42")
    signature = body.split("<MsgSignature>")[1].split("</MsgSignature>")[0]
    assert signature == crypto.signature("1700000000", "42", body.split("CDATA[")[1].split("]]")[0])
    got = crypto.decrypt_message(msg_signature=signature, timestamp="1700000000", nonce="42", body=body)
    assert got == inner


# -- tampering -----------------------------------------------------------------------------------------------


def test_bad_signature_refused(crypto: WeComCrypto) -> None:
    with pytest.raises(CryptoError, match="signature"):
        crypto.verify_url(**{**VERIFY, "msg_signature": "0" * 40})
    with pytest.raises(CryptoError, match="signature"):
        crypto.decrypt_message(**{**POST_QUERY, "nonce": "1597212915"}, body=POST_DATA)
    with pytest.raises(CryptoError, match="signature"):
        crypto.decrypt_message(**{**POST_QUERY, "timestamp": "1476422780"}, body=POST_DATA)


def test_other_token_refused() -> None:
    other = WeComCrypto(token=TOKEN + "x", aes_key=AES_KEY, corp_id=CORP_ID)
    with pytest.raises(CryptoError, match="signature"):
        other.verify_url(**VERIFY)


def test_changed_ciphertext_refused_by_the_signature(crypto: WeComCrypto) -> None:
    tampered = POST_DATA.replace("Kl7kjoSf6", "Kl7kjoSf7")
    with pytest.raises(CryptoError, match="signature"):
        crypto.decrypt_message(**POST_QUERY, body=tampered)


def test_other_corp_id_refused(crypto: WeComCrypto) -> None:
    theirs = WeComCrypto(token=TOKEN, aes_key=AES_KEY, corp_id="ww0000000000000000")
    with pytest.raises(CryptoError, match="corp id"):
        crypto.decrypt(theirs.encrypt("hello"))
    with pytest.raises(CryptoError, match="corp id"):
        WeComCrypto(token=TOKEN, aes_key=AES_KEY, corp_id="ww1436e0e65a779aeX").verify_url(**VERIFY)


def test_other_key_refused(crypto: WeComCrypto) -> None:
    other = WeComCrypto(token=TOKEN, aes_key="A" * 43, corp_id=CORP_ID)
    with pytest.raises(CryptoError):
        crypto.decrypt(other.encrypt("hello " * 10))


@pytest.mark.parametrize(
    "tail",
    [
        b"\x00" * 32,  # pad 0
        b"\x21" * 32,  # pad 33: more than a WeCom block
        b"\x05" * 31 + b"\x06",  # the pad bytes disagree
    ],
)
def test_bad_padding_refused(crypto: WeComCrypto, tail: bytes) -> None:
    body = b"r" * 16 + struct.pack(">I", 5) + b"hello" + CORP_ID.encode()
    body += b"z" * (-len(body) % 32)
    with pytest.raises(CryptoError, match="padding"):
        crypto.decrypt(raw_encrypt(AES_KEY, body + tail))


def test_length_beyond_the_message_refused(crypto: WeComCrypto) -> None:
    body = b"r" * 16 + struct.pack(">I", 10_000) + b"hello" + CORP_ID.encode()
    pad = 32 - len(body) % 32
    with pytest.raises(CryptoError, match="length"):
        crypto.decrypt(raw_encrypt(AES_KEY, body + bytes([pad]) * pad))


@pytest.mark.parametrize("encrypted", ["", "not base64!", "QUJD", base64.b64encode(b"x" * 48).decode()])
def test_malformed_ciphertext_refused(crypto: WeComCrypto, encrypted: str) -> None:
    with pytest.raises(CryptoError):
        crypto.decrypt(encrypted)


@pytest.mark.parametrize(
    "body",
    [
        "<xml><ToUserName>x</ToUserName></xml>",  # no Encrypt
        "not xml at all",
        '<!DOCTYPE x [<!ENTITY e "Kl7k">]><xml><Encrypt>&e;</Encrypt></xml>',
        "<xml><Encrypt>" + "A" * 70_000 + "</Encrypt></xml>",
    ],
)
def test_bad_callback_body_refused(crypto: WeComCrypto, body: str) -> None:
    with pytest.raises(CryptoError):
        crypto.decrypt_message(**POST_QUERY, body=body)


@pytest.mark.parametrize("aes_key", ["", "A" * 42, "A" * 44, "!" * 43])
def test_bad_encoding_aes_key_refused(aes_key: str) -> None:
    with pytest.raises(CryptoError, match="EncodingAESKey"):
        WeComCrypto(token=TOKEN, aes_key=aes_key, corp_id=CORP_ID)


def test_errors_never_show_the_key_or_token(crypto: WeComCrypto) -> None:
    with pytest.raises(CryptoError) as caught:
        crypto.verify_url(**{**VERIFY, "msg_signature": "0" * 40})
    assert TOKEN not in str(caught.value) and AES_KEY not in str(caught.value)
