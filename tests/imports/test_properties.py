"""Property tests: the order of people or units in a file does not change what is stored."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safety.imports import OrgPlan, parse_org
from storage.db import Database
from storage.migrate import upgrade_sync
from tests.imports.helpers import ORG_TEXT, ok, people_state, run_org

ORG = yaml.safe_load(ORG_TEXT)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    upgrade_sync(f"sqlite+aiosqlite:///{path}")
    return path


def _dump(people: list[dict[str, Any]]) -> str:
    return str(yaml.safe_dump({**ORG, "people": people}, allow_unicode=True))


async def _import_twice(url: str, first: str, second: str) -> tuple[dict[str, Any], bool]:
    db = Database(url)
    try:
        ok(await run_org(db, first))
        state = await people_state(db)
        changed = ok(await run_org(db, second)).changed
        return state, changed
    finally:
        await db.dispose()


@pytest.fixture(scope="module")
def expected_state(template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("expected") / "db.db"
    shutil.copy(template, path)
    state, _ = asyncio.run(_import_twice(f"sqlite+aiosqlite:///{path}", ORG_TEXT, ORG_TEXT))
    return state


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.permutations(ORG["people"]))
def test_any_order_of_people_imports_to_the_same_state(
    people: list[dict[str, Any]], template: Path, expected_state: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "perm.db"
    shutil.copy(template, path)
    state, changed = asyncio.run(_import_twice(f"sqlite+aiosqlite:///{path}", _dump(people), ORG_TEXT))
    assert state == expected_state
    assert changed is False  # the original order afterwards is a no-op


FLAT = [
    {"id": "root", "name": "分公司"},
    {"id": "p1", "name": "项目一", "parent": "root", "timezone": "Asia/Urumqi"},
    {"id": "p2", "name": "项目二", "parent": "root"},
    {"id": "t1", "name": "班一", "parent": "p1"},
    {"id": "t2", "name": "班二", "parent": "p2"},
    {"id": "t3", "name": "班三", "parent": "t1"},
]


@given(units=st.permutations(FLAT))
def test_any_order_of_flat_units_gives_the_same_tree(units: list[dict[str, str]]) -> None:
    result = parse_org(yaml.safe_dump({"timezone": "Asia/Shanghai", "units": units}, allow_unicode=True))
    assert isinstance(result, OrgPlan)
    tree = {u.id: (u.parent_id, u.timezone) for u in result.units}
    assert tree == {
        "root": (None, "Asia/Shanghai"),
        "p1": ("root", "Asia/Urumqi"),
        "p2": ("root", "Asia/Shanghai"),
        "t1": ("p1", "Asia/Urumqi"),
        "t2": ("p2", "Asia/Shanghai"),
        "t3": ("t1", "Asia/Urumqi"),
    }
