"""Settings follow the contract; an invalid value stops the start with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_match_the_contract(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("SAFETYBOT_"):
            monkeypatch.delenv(key)
    settings = load_settings()
    assert settings.telegram_token is None
    assert settings.telegram_base_url == "https://api.telegram.org/bot"
    assert settings.database_url == "sqlite+aiosqlite:///data/safetybot.db"
    assert settings.timezone == "Asia/Shanghai" and settings.language == "zh-CN"
    assert (settings.listen_host, settings.listen_port) == ("0.0.0.0", 8443)
    assert settings.sandbox_port == 8080 and settings.send_rate == 30


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SAFETYBOT_LANGUAGE", raising=False)
    (tmp_path / ".env").write_text("SAFETYBOT_LANGUAGE=en\nSAFETYBOT_SEND_RATE=12\n")
    settings = Settings()
    assert settings.language == "en" and settings.send_rate == 12


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("SAFETYBOT_TIMEZONE", "Mars/Olympus", "SAFETYBOT_TIMEZONE"),
        ("SAFETYBOT_LANGUAGE", "fr", "SAFETYBOT_LANGUAGE"),
        ("SAFETYBOT_SANDBOX_PORT", "99999", "SAFETYBOT_SANDBOX_PORT"),
        ("SAFETYBOT_SEND_RATE", "fast", "SAFETYBOT_SEND_RATE"),
        ("SAFETYBOT_LISTEN", "8443", "SAFETYBOT_LISTEN"),
        ("SAFETYBOT_WEBHOOK_SECRET", "has spaces!", "SAFETYBOT_WEBHOOK_SECRET"),
    ],
)
def test_invalid_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert named in str(info.value) and "\n" not in str(info.value)


def test_cli_stops_with_one_line_on_a_bad_setting(tmp_path: Path) -> None:
    env = {**os.environ, "SAFETYBOT_TIMEZONE": "Nowhere/City"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "SAFETYBOT_TIMEZONE" in lines[0]
