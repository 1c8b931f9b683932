"""Settings from the environment and `.env` (the public contract in DESIGN.md)."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LANGUAGES = ("zh-CN", "en")
AES_KEY_ALPHABET = frozenset(string.ascii_letters + string.digits + "+/")


class SettingsError(Exception):
    """An invalid setting; the message is one line fit for the terminal."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFETYBOT_", env_file=".env", extra="ignore")

    telegram_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    database_url: str = "sqlite+aiosqlite:///data/safetybot.db"
    data_dir: Path = Path("data")
    timezone: str = "Asia/Shanghai"
    language: str = "zh-CN"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    listen: str = "0.0.0.0:8443"
    sandbox_port: int = Field(default=8080, ge=1, le=65535)
    send_rate: float = Field(default=30, gt=0, le=1000)
    quiz_pass_mark: float = Field(default=100, gt=0, le=100)  # percent of right answers; 100: full score only
    quiz_minutes: int = Field(default=30, ge=1, le=24 * 60)  # an attempt left this long expires, not passed
    clearance_days: int = Field(default=0, ge=0, le=3660)  # 0: no expiry; 365: yearly renewal
    quiz_deadline_days: int = Field(default=7, ge=1, le=365)  # time to pass after a requirement
    violation_window_days: int = Field(default=365, ge=1, le=3660)  # a second violation within it: manager
    recheck_days: int = Field(default=30, ge=1, le=3660)  # 回头看: days from 销号 to the re-check
    digest_at: str = Field(default="17:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")  # daily digest, local time
    # WeCom (企业微信) self-built app: the channel runs when corp id, agent id and secret are set.
    wecom_corp_id: str | None = None
    wecom_agent_id: int | None = Field(default=None, ge=1)
    wecom_secret: SecretStr | None = None
    wecom_token: SecretStr | None = None  # the callback's Token
    wecom_aes_key: SecretStr | None = None  # the callback's EncodingAESKey, 43 characters
    wecom_base_url: str = "https://qyapi.weixin.qq.com/cgi-bin"
    wecom_callback_path: str = "/wecom/callback"

    @field_validator(
        "telegram_token",
        "webhook_url",
        "webhook_secret",
        "wecom_corp_id",
        "wecom_agent_id",
        "wecom_secret",
        "wecom_token",
        "wecom_aes_key",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be HOST:PORT, for example 0.0.0.0:8443")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_charset(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            raw = value.get_secret_value()
            if not 1 <= len(raw) <= 256 or not all(c.isalnum() or c in "_-" for c in raw):
                raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("wecom_aes_key")
    @classmethod
    def _aes_key_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            raw = value.get_secret_value()
            if len(raw) != 43 or not set(raw) <= AES_KEY_ALPHABET:
                raise ValueError("must be the 43-character EncodingAESKey (A-Z, a-z, 0-9, + and /)")
        return value

    @field_validator("wecom_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL, for example https://qyapi.weixin.qq.com/cgi-bin")
        return value.rstrip("/")

    @field_validator("wecom_callback_path")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        if not value.startswith("/") or any(c.isspace() or c in "?#" for c in value):
            raise ValueError("must be a path starting with /, for example /wecom/callback")
        return value

    @model_validator(mode="after")
    def _wecom_complete(self) -> Self:
        if self.wecom_enabled and (self.wecom_token is None or self.wecom_aes_key is None):
            raise ValueError(
                "SAFETYBOT_WECOM_TOKEN and SAFETYBOT_WECOM_AES_KEY are needed with the WeCom app "
                "(the callback URL's Token and EncodingAESKey)"
            )
        return self

    @property
    def wecom_enabled(self) -> bool:
        """The WeCom channel runs: corp id, agent id and secret are set."""
        return bool(self.wecom_corp_id and self.wecom_agent_id and self.wecom_secret)

    @property
    def listen_host(self) -> str:
        return self.listen.rpartition(":")[0]

    @property
    def listen_port(self) -> int:
        return int(self.listen.rpartition(":")[2])


def load_settings(**overrides: object) -> Settings:
    """Read the settings; an invalid value raises SettingsError naming the variable in one line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        parts = []
        for error in exc.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            if not error["loc"]:  # a rule across several settings names them itself
                parts.append(message)
                continue
            parts.append(f"SAFETYBOT_{str(error['loc'][0]).upper()}: {message}")
        raise SettingsError("invalid setting: " + "; ".join(parts)) from None


def settings_or_exit() -> Settings:
    """For the command line: the settings, or the one-line error on stderr and exit code 2."""
    import typer

    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
