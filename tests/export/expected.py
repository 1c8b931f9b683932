"""What the export of the scripted month (tests/export/month.py) holds, cell by cell, and how the tests
read a written workbook back."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

Row = list[object]

NO_REPORTS: Row = [0] * 16
HAZARD_CLOSED: Row = [0, 0, 0, 1] + [0] * 12  # 隐患·已上报, ·整改中, ·待验收, ·已关闭, then 未遂, 事故, 违章
SUMMARY_HEADER_START = [
    "单位编号",
    "单位",
    "应打卡",
    "已打卡",
    "迟到",
    "未打卡",
    "请假免签",
    "打卡率",
    "隐患·已上报",
]
SUMMARY = [
    ["proj-x", "导出项目部", 0, 0, 0, 0, 0, None, *NO_REPORTS, 0, 0, None, 0, 0, None, 0, 0, None],
    # 6 asked (3 people × 2 rounds; October's round left out), 4 checked in (1 late), W1 missed, W2 excused:
    # 4 / 5; the hazard closed 11-04 before its deadline 11-05; the quiz failed once, passed once; the card
    # went to L1, W1, W2 and two read it
    ["team-x", "导出班", 6, 4, 1, 1, 1, 0.8, *HAZARD_CLOSED, 1, 1, 1.0, 1, 1, 0.5, 3, 2, 0.6667],
]
PERCENT_COLUMNS = (7, 26, 29, 32)  # 打卡率, 整改按期率, 考试通过率, 提示卡确认率 (0-based)
PEOPLE_HEADER = [
    "工号", "姓名", "单位", "日期", "打卡", "请假", "考试次数", "考试通过",
    "违章", "上报", "整改任务", "提示卡确认", "履职处理", "带班",
]  # fmt: skip
PEOPLE = [
    # employee, name, unit, day, check-in, leave, quiz attempts, passed, violations, reports, tasks, cards,
    # duties handled, 带班
    ["L1", "班长", "导出班", "2026-11-02", "按时", "", 0, 0, 0, 0, 0, 0, 1, ""],  # approved W2's leave
    ["L1", "班长", "导出班", "2026-11-03", "按时", "", 0, 0, 0, 0, 0, 0, 0, ""],
    ["W1", "工人甲", "导出班", "2026-11-02", "按时", "", 0, 0, 0, 0, 0, 1, 0, ""],
    ["W1", "工人甲", "导出班", "2026-11-03", "未打卡", "", 0, 0, 0, 1, 1, 0, 0, ""],
    ["W2", "工人乙", "导出班", "2026-11-02", "迟到", "", 2, 1, 0, 0, 0, 0, 0, ""],
    ["W2", "工人乙", "导出班", "2026-11-03", "请假", "是", 0, 0, 0, 0, 0, 0, 0, ""],
    ["W2", "工人乙", "导出班", "2026-11-04", "", "", 0, 0, 0, 0, 0, 1, 0, ""],  # the late acknowledgement
    ["S1", "安全员", "导出项目部", "2026-11-03", "", "", 0, 0, 0, 0, 0, 0, 1, ""],  # assigned the hazard
    ["S1", "安全员", "导出项目部", "2026-11-04", "", "", 0, 0, 0, 0, 0, 0, 1, ""],  # accepted (销号) it
]


SHEETS = ["汇总", "个人记录", "责任清单履职", "履职记录"]  # the export's own two, then EXTRA_SHEETS
DUTIES = [
    # employee, name, unit, through, duty, frequency, periods due, met, evidence count, evidence, missing,
    # rate
    [
        "S1",
        "安全员",
        "导出项目部",
        "本人",
        "隐患整改复查验收销号",
        "每月1次",
        1,
        1,
        1,
        "11-04 验收 YH-20261103-0001",
        "",
        1.0,
    ],
    [
        "S1",
        "安全员",
        "导出项目部",
        "本人",
        "每季度研究安全工作",
        "每季度1次",
        0,
        0,
        0,
        "",
        "系统外记录，未判定",
        "",
    ],
    [
        "L1",
        "班长",
        "导出班",
        "班组长",
        "提示卡按要求阅知",
        "每月1次",
        1,
        0,
        0,
        "",
        "11月未见记录",
        0.0,
    ],  # never read
]
RECORD = [
    # cards read / deployed / on time / minutes, accidents / minutes, shifts / minutes, digests remind /
    # excuse / handled / minutes, leave decided / minutes, assigned / minutes, accepted / rejected /
    # minutes, late, unanswered
    [
        "S1",
        "安全员",
        "导出项目部",
        "安全员",
        0,
        0,
        0,
        "",
        0,
        "",
        0,
        "",
        0,
        0,
        0,
        "",
        0,
        "",
        1,
        60,
        1,
        0,
        240,
        0,
        0,
    ],
    ["L1", "班长", "导出班", "班组长", 0, 0, 0, "", 0, "", 0, "", 0, 0, 0, "", 1, 10, 0, "", 0, 0, "", 0, 1],
]
# S1: reported 10:00 → assigned 11:00, submitted 11-04 10:00 → accepted 14:00; L1: leave decided in 10 min


def blank(value: object) -> object:
    return None if value == "" else value


def text(value: object) -> str:
    return "" if value is None else str(value)


def xlsx_rows(path: Path, sheet: str) -> list[Row]:
    """A sheet's values as openpyxl reads them, an empty cell as None, rows padded to the header."""
    book = load_workbook(path, read_only=True)
    rows = [[blank(v) for v in row] for row in book[sheet].iter_rows(values_only=True)]
    book.close()
    width = len(rows[0])  # an empty last cell is not stored: pad to the header
    return [row + [None] * (width - len(row)) for row in rows]
