"""Opening import files: size limits, decoding, spreadsheets, and the one problem (line 0, the file as a
whole) that says why a file cannot be read at all. Nothing here raises past `Unreadable`: a corrupt file
is one line for the operator, never a traceback.

Limits, checked before anything is parsed:
- YAML (org file, question bank, holidays): at most 8 MB. It is parsed whole, every node with its line,
  which takes some 60 times the file's size in memory: an org file of 80,000 people is 7.7 MB and takes
  18 s and 530 MB to import (beyond that, people belong in a roster).
- XLSX: at most 50 MB on disk and 500 MB unpacked (a zip bomb is refused before openpyxl opens it); the
  sheets are read row by row (openpyxl's read-only mode), so memory does not grow with the sheet.
- CSV: no size limit; it is decoded and parsed row by row. Every table importer stops at its own row limit
  (a roster: 200,000 people).
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from safety.imports.problems import Problem, problem
from safety.imports.tables import cell_text, csv_rows

MB = 1024 * 1024
MAX_YAML_BYTES = 8 * MB
MAX_XLSX_BYTES = 50 * MB
MAX_XLSX_UNPACKED = 500 * MB


class Unreadable(Exception):
    """The file cannot be read at all; `problem` says why."""

    def __init__(self, item: Problem) -> None:
        super().__init__(item.message)
        self.problem = item


def _os_problem(exc: OSError) -> Problem:
    return problem(0, "unreadable_file", detail=exc.strerror or str(exc))


def _megabytes(size: int) -> str:
    return f"{size / MB:.1f}"


def check_size(path: Path, max_bytes: int) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise Unreadable(_os_problem(exc)) from None
    if size > max_bytes:
        raise Unreadable(problem(0, "file_too_large", size=_megabytes(size), max=max_bytes // MB))


def read_text(path: Path, max_bytes: int = MAX_YAML_BYTES) -> str:
    """A whole UTF-8 text file (BOM allowed) of at most `max_bytes`."""
    check_size(path, max_bytes)
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise Unreadable(_os_problem(exc)) from None
    except UnicodeDecodeError:
        raise Unreadable(problem(0, "bad_encoding")) from None


def csv_file_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Each record of a UTF-8 CSV file (BOM allowed) with its line, decoded and parsed as it is read."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from csv_rows(handle)
    except UnicodeDecodeError:
        raise Unreadable(problem(0, "bad_encoding")) from None
    except csv.Error as exc:  # e.g. a field beyond csv's size limit (128 KiB)
        raise Unreadable(problem(0, "unreadable_file", detail=str(exc))) from None
    except OSError as exc:
        raise Unreadable(_os_problem(exc)) from None


def _not_a_workbook(exc: BaseException) -> Unreadable:
    return Unreadable(problem(0, "unreadable_file", detail=f"not a valid .xlsx workbook ({exc})"))


@contextmanager
def workbook(path: Path) -> Iterator[Any]:
    """The workbook in openpyxl's read-only mode, if the file is a sane .xlsx within the limits."""
    check_size(path, MAX_XLSX_BYTES)
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except OSError as exc:
        raise Unreadable(_os_problem(exc)) from None
    except (zipfile.BadZipFile, ValueError) as exc:
        raise _not_a_workbook(exc) from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise Unreadable(
            problem(0, "workbook_too_large", size=_megabytes(unpacked), max=MAX_XLSX_UNPACKED // MB)
        )
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl fails on a corrupt workbook in many ways (zip, XML, styles, values)
        raise _not_a_workbook(exc) from None
    try:
        yield book
    finally:
        book.close()


def sheet_rows(sheet: Any) -> Iterator[tuple[int, list[str]]]:
    """The rows of a read-only sheet as cell texts, numbered from 1, read as they are parsed."""
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [cell_text(v) for v in values]
    except Exception as exc:  # a sheet's XML or compressed data is corrupt: found only while reading it
        raise _not_a_workbook(exc) from None
