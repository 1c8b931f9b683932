"""Language catalogs: one YAML file per language, looked up by key. zh-CN is the default.

A feature may keep its texts in a file of its own beside the main one, `<language>/<feature>.yaml`; the
files of a language are merged, and a key defined twice is an error (found by the catalog tests)."""

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
    flat: dict[str, str] = {}
    for path in [_DIR / f"{language}.yaml", *sorted((_DIR / language).glob("*.yaml"))]:
        with path.open(encoding="utf-8") as fh:
            tree = yaml.safe_load(fh) or {}
        part: dict[str, str] = {}
        _flatten(tree, "", part)
        twice = sorted(set(part) & set(flat))
        if twice:
            raise ValueError(f"{path.name}: keys defined twice in the {language} catalog: {twice[:5]}")
        flat.update(part)
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
