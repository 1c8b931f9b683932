"""The WeCom settings of the contract: read from the environment, checked in one clear line, never shown."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
APP = {
    "SAFETYBOT_WECOM_CORP_ID": "ww5823bf96d3bd56c7",
    "SAFETYBOT_WECOM_AGENT_ID": "1000002",
    "SAFETYBOT_WECOM_SECRET": "app-secret-value",
    "SAFETYBOT_WECOM_TOKEN": "QDG6eK",
    "SAFETYBOT_WECOM_AES_KEY": AES_KEY,
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("SAFETYBOT_"):
            monkeypatch.delenv(key)


def test_wecom_is_off_by_default_with_the_contract_defaults() -> None:
    settings = load_settings()
    assert not settings.wecom_enabled
    assert settings.wecom_corp_id is None and settings.wecom_secret is None and settings.wecom_aes_key is None
    assert settings.wecom_base_url == "https://qyapi.weixin.qq.com/cgi-bin"
    assert settings.wecom_callback_path == "/wecom/callback"


def test_the_app_settings_turn_wecom_on_and_stay_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in APP.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SAFETYBOT_WECOM_BASE_URL", "http://127.0.0.1:9/cgi-bin/")
    settings = load_settings()
    assert settings.wecom_enabled and settings.wecom_agent_id == 1000002
    assert (
        settings.wecom_secret is not None and settings.wecom_secret.get_secret_value() == "app-secret-value"
    )
    assert settings.wecom_aes_key is not None and settings.wecom_aes_key.get_secret_value() == AES_KEY
    assert settings.wecom_base_url == "http://127.0.0.1:9/cgi-bin"
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    for secret in ("app-secret-value", "QDG6eK", AES_KEY):
        assert secret not in shown


def test_empty_values_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in APP:
        monkeypatch.setenv(key, " ")
    settings = load_settings()
    assert not settings.wecom_enabled and settings.wecom_agent_id is None


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("SAFETYBOT_WECOM_AES_KEY", AES_KEY[:-1], "SAFETYBOT_WECOM_AES_KEY: must be the 43-character"),
        ("SAFETYBOT_WECOM_AES_KEY", AES_KEY[:-1] + "!", "SAFETYBOT_WECOM_AES_KEY"),
        ("SAFETYBOT_WECOM_AGENT_ID", "agent-7", "SAFETYBOT_WECOM_AGENT_ID"),
        ("SAFETYBOT_WECOM_AGENT_ID", "0", "SAFETYBOT_WECOM_AGENT_ID"),
        ("SAFETYBOT_WECOM_CALLBACK_PATH", "wecom", "SAFETYBOT_WECOM_CALLBACK_PATH"),
        ("SAFETYBOT_WECOM_BASE_URL", "qyapi.weixin.qq.com", "SAFETYBOT_WECOM_BASE_URL"),
        ("SAFETYBOT_WECOM_TOKEN", "", "SAFETYBOT_WECOM_TOKEN and SAFETYBOT_WECOM_AES_KEY are needed"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable_without_the_value(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    for key, good in APP.items():
        monkeypatch.setenv(key, good)
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert named in message and "\n" not in message
    for secret in ("app-secret-value", "QDG6eK", AES_KEY[:-1]):
        assert secret not in message
