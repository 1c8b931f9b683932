"""The catalogs have the same keys, every key the code uses exists, and placeholders agree."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from safety import texts
from safety.access import COMMANDS
from safety.onboarding import BindStatus
from safety.roles import ROLES

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "jobs", "safety", "storage")
KEY_RE = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")
TEXT_FUNCS = {"t", "text", "Text"}


def _used_keys() -> set[tuple[str, int, str]]:
    """Literal keys passed to t(lang, KEY) or context.text(KEY) anywhere in the packages."""
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name not in TEXT_FUNCS:
                    continue
                for arg in node.args[:2]:
                    if (
                        isinstance(arg, ast.Constant)
                        and isinstance(arg.value, str)
                        and KEY_RE.match(arg.value)
                    ):
                        found.add((str(path.relative_to(ROOT)), node.lineno, arg.value))
    return found


def _problem_codes_used() -> set[tuple[str, int, str]]:
    """Literal codes passed to problem(line, CODE) in the importers."""
    found = set()
    for path in (ROOT / "safety" / "imports").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") == "problem"
                and len(node.args) > 1
            ):
                code = node.args[1]
                if isinstance(code, ast.Constant) and isinstance(code.value, str):
                    found.add((str(path.relative_to(ROOT)), node.lineno, code.value))
    return found


def test_import_problem_codes_exist() -> None:
    used = _problem_codes_used()
    assert len(used) > 20
    catalog = texts.catalog("zh-CN")
    assert sorted(f"{p}:{n}: {c}" for p, n, c in used if f"import_problem.{c}" not in catalog) == []


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_catalogs_have_the_same_keys() -> None:
    zh, en = texts.catalog("zh-CN"), texts.catalog("en")
    assert set(zh) - set(en) == set(), "keys missing in en.yaml"
    assert set(en) - set(zh) == set(), "keys missing in zh-CN.yaml"


def test_placeholders_agree_between_languages() -> None:
    zh, en = texts.catalog("zh-CN"), texts.catalog("en")
    mismatched = {key for key in zh if _fields(zh[key]) != _fields(en[key])}
    assert mismatched == set()


def test_code_uses_only_existing_keys() -> None:
    used = _used_keys()
    assert len(used) > 20, "the scan found too few keys: is it still looking at the right calls?"
    catalog = texts.catalog("zh-CN")
    missing = sorted(f"{path}:{line}: {key}" for path, line, key in used if key not in catalog)
    assert missing == []


def test_keys_built_at_run_time_exist() -> None:
    catalog = texts.catalog("zh-CN")
    dynamic = {f"commands.{c.name}" for c in COMMANDS} | {f"roles.{r}" for r in ROLES}
    dynamic |= {f"bind.{s.value}" for s in BindStatus if not s.ok}
    assert sorted(dynamic - set(catalog)) == []


def test_missing_key_raises() -> None:
    with pytest.raises(KeyError):
        texts.t("zh-CN", "no.such_key")


@pytest.mark.parametrize(
    ("code", "expected"),
    [("zh-hans", "zh-CN"), ("zh-TW", "zh-CN"), ("en-GB", "en"), ("ru", "zh-CN"), (None, "zh-CN")],
)
def test_language_from_telegram(code: str | None, expected: str) -> None:
    assert texts.normalize_language(code) == expected
