"""A typed text that starts like a formula (a name or note "=HYPERLINK(…)") stays text in the export: in the
workbook a text cell, in the CSV with a leading apostrophe — never a formula run when the file opens."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from openpyxl import load_workbook

from bot.cli_export import _write_xlsx, _write_zip
from safety.export.sheets import Column, Sheet

EVIL = '=HYPERLINK("http://example.invalid","点我")'


def table() -> list[Sheet]:
    rows = iter([[EVIL, "-2+3", 7], ["张三", "正常", 1]])
    return [Sheet("个人记录", [Column("姓名", 10), Column("备注", 10), Column("次数", 6)], rows, 2)]


def test_a_formula_like_text_is_a_text_cell_in_the_workbook(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    _write_xlsx(table(), path, lambda _: None)
    sheet = load_workbook(path)["个人记录"]
    cell = sheet["A2"]
    assert cell.value == EVIL and cell.data_type == "s"
    assert sheet["C2"].value == 7 and sheet["A3"].value == "张三"


def test_a_formula_like_text_gets_an_apostrophe_in_the_csv(tmp_path: Path) -> None:
    path = tmp_path / "out.zip"
    _write_zip(table(), path, lambda _: None)
    with zipfile.ZipFile(path) as archive:
        text = archive.read("个人记录.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == [f"'{EVIL}", "'-2+3", "7"] and rows[2] == ["张三", "正常", "1"]
