"""A typed text that starts like a formula (a name or note "=HYPERLINK(…)") stays text in the export: in the
workbook a text cell, in the CSV with a leading apostrophe — never a formula run when the file opens."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

from openpyxl import load_workbook

from safety.export.sheet import Cell, Column
from safety.export.sheets import Sheet
from safety.export.writers import write

EVIL = '=HYPERLINK("http://example.invalid","点我")'


async def rows() -> AsyncIterator[list[Cell]]:
    for row in ([EVIL, "-2+3", 7], ["张三", "正常", 1]):
        yield list(row)


def table() -> list[Sheet]:
    return [Sheet("个人记录", [Column("姓名", 10), Column("备注", 10), Column("次数", 6)], rows)]


async def test_a_formula_like_text_is_a_text_cell_in_the_workbook(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    assert await write(table(), path, file_format="xlsx", progress=lambda _: None) == [2]
    sheet = load_workbook(path)["个人记录"]
    cell = sheet["A2"]
    assert cell.value == EVIL and cell.data_type == "s"
    assert sheet["C2"].value == 7 and sheet["A3"].value == "张三"


async def test_a_formula_like_text_gets_an_apostrophe_in_the_csv(tmp_path: Path) -> None:
    path = tmp_path / "out.zip"
    await write(table(), path, file_format="csv", progress=lambda _: None)
    with zipfile.ZipFile(path) as archive:
        text = archive.read("个人记录.csv").decode("utf-8-sig")
    found = list(csv.reader(io.StringIO(text)))
    assert found[1] == [f"'{EVIL}", "'-2+3", "7"] and found[2] == ["张三", "正常", "1"]
