"""Language catalogs: one YAML file per language, looked up by key. zh-CN is the default."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

DEFAULT_LANGUAGE = "zh-CN"
LANGUAGES = ("zh-CN", "en")
_DIR = Path(__file__).parent


@cache
def catalog(language: str) -> dict[str, str]:
    """The flat catalog of one language (nested YAML keys joined by dots)."""
    with (_DIR / f"{language}.yaml").open(encoding="utf-8") as fh:
        tree = yaml.safe_load(fh)
    flat: dict[str, str] = {}
    _flatten(tree, "", flat)
    return flat


def _flatten(node: Any, prefix: str, out: dict[str, str]) -> None:
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(value, path + ".", out)
        else:
            out[path] = str(value)


def normalize_language(code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Map a Telegram language_code or a stored value onto a catalog (zh*, en*), else the default."""
    if not code:
        return default
    lowered = code.lower()
    if lowered.startswith("zh"):
        return "zh-CN"
    if lowered.startswith("en"):
        return "en"
    return default


def t(language: str | None, key: str, /, **params: object) -> str:
    """The text for `key` in `language`, formatted with `params`. A missing key is a bug and raises."""
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    template = catalog(lang)[key]
    return template.format(**params) if params else template
