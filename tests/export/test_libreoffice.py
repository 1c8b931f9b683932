"""The exported workbook opens in LibreOffice headless with the same values (the issue's acceptance): the
scripted month is exported to XLSX, LibreOffice converts every sheet to CSV, and each value equals what
openpyxl reads from the file — texts as texts, numbers as numbers, a percentage cell as LibreOffice shows it
("66.67%" for 0.6667), an empty cell empty. On SQLite and PostgreSQL.

Needs `soffice` (Debian: libreoffice-calc-nogui). Without it the test is skipped, except in CI (env CI
true), where it fails: there the acceptance must be checked.
"""

from __future__ import annotations

import asyncio
import csv
import math
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from bot.cli import app
from safety.export.extra import EXTRA_SHEETS
from safety.export.sheets import person_columns, summary_columns
from safety.texts import t
from storage.db import Database
from tests.export.expected import SHEETS, xlsx_rows
from tests.export.month import play

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SOFFICE = shutil.which("soffice")
TIMEOUT = 180  # seconds for one conversion (the first start of a fresh profile takes a few)
# comma, double quote, UTF-8, from line 1, default cell format, default language, texts unquoted, detect
# special numbers, values not as shown, no formulas, spaces kept; -1: every sheet as <name>-<sheet>.csv
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,{sheet}"

runner = CliRunner()


@pytest.fixture(autouse=True)
def chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFETYBOT_LANGUAGE", "zh-CN")


def need_soffice() -> None:
    """In the test itself, not a fixture: in CI a missing LibreOffice is a failed test, not an error."""
    if SOFFICE is None:
        if IN_CI:
            pytest.fail("soffice (LibreOffice) is not installed: the export's acceptance cannot be checked")
        pytest.skip("soffice (LibreOffice) is not installed")


def convert(workbook: Path, outdir: Path, profile: Path, sheet: int) -> None:
    """One headless conversion with a private profile; after TIMEOUT seconds its process group is killed."""
    assert SOFFICE is not None
    outdir.mkdir(parents=True, exist_ok=True)
    command = [
        SOFFICE,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        CSV_FILTER.format(sheet=sheet),
        "--outdir",
        str(outdir),
        str(workbook),
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    ) as process:
        try:
            out, err = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # soffice runs soffice.bin: the whole group it started
            process.communicate()
            raise
    assert process.returncode == 0, (out, err)


def libreoffice_sheets(workbook: Path, names: list[str], tmp_path: Path) -> dict[str, list[list[str]]]:
    """Every sheet as LibreOffice writes it to CSV: all at once (LibreOffice 7.2+: <file>-<sheet>.csv),
    else one conversion per sheet (older versions write only <file>.csv)."""
    profile, outdir = tmp_path / "lo-profile", tmp_path / "lo"
    convert(workbook, outdir, profile, -1)
    files = {name: outdir / f"{workbook.stem}-{name}.csv" for name in names}
    if not all(path.exists() for path in files.values()):
        for n, name in enumerate(names, 1):
            convert(workbook, outdir / str(n), profile, n)
            files[name] = outdir / str(n) / f"{workbook.stem}.csv"
    found = {}
    for name, path in files.items():
        with path.open(encoding="utf-8", newline="") as fh:
            found[name] = list(csv.reader(fh))
    return found


def same(shown: str, value: object, percent: bool) -> bool:
    """LibreOffice's text of a cell against openpyxl's value of it."""
    if value is None:
        return shown == ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return shown == str(value)
    if percent:
        return shown.endswith("%") and math.isclose(float(shown[:-1]) / 100, value, abs_tol=1e-9)
    return not shown.endswith("%") and math.isclose(float(shown), value, abs_tol=1e-9)


async def test_libreoffice_reads_the_same_values_as_openpyxl(db: Database, tmp_path: Path) -> None:
    need_soffice()
    await play(db, tmp_path / "data")
    workbook = tmp_path / "month.xlsx"
    result = await asyncio.to_thread(
        runner.invoke, app, ["export", "--month", "2026-11", "--out", str(workbook), "--database-url", db.url]
    )
    assert result.exit_code == 0, result.output
    book = load_workbook(workbook)
    names = book.sheetnames
    assert names == SHEETS
    shown = await asyncio.to_thread(libreoffice_sheets, workbook, names, tmp_path)
    columns = {"汇总": summary_columns("zh-CN"), "个人记录": person_columns("zh-CN")}
    columns |= {t("zh-CN", f"export.sheet.{s.key}"): s.columns("zh-CN") for s in EXTRA_SHEETS}

    compared = 0
    for name in names:
        expected = xlsx_rows(workbook, name)
        percent = {n for n, column in enumerate(columns[name]) if column.percent}
        got = [row + [""] * (len(expected[0]) - len(row)) for row in shown[name]]
        assert len(got) == len(expected), name
        for row_number, (lo_row, xl_row) in enumerate(zip(got, expected, strict=True), 1):
            assert len(lo_row) == len(xl_row), (name, row_number)
            for column, (text, value) in enumerate(zip(lo_row, xl_row, strict=True)):
                is_percent = row_number > 1 and column in percent
                assert same(text, value, is_percent), (name, row_number, column, text, value)
                compared += 1
    assert compared == 3 * 33 + 10 * 14 + 4 * 12 + 3 * 25  # every cell of every sheet, headers included
    assert shown["汇总"][2][7] == "80%" and shown["汇总"][2][32] == "66.67%"  # as LibreOffice shows them
