"""The 整改通知单 renders with the embedded CJK font: its text comes back out with pdftotext, photos included
(a damaged one is named, not fatal), in both languages."""

from __future__ import annotations

import io
import subprocess
from datetime import date
from pathlib import Path

from PIL import Image

from safety.reports.notice_pdf import file_name, relative_path, render_notice


def jpeg(path: Path, colour: str = "orange") -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def text_of(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def render(tmp_path: Path, language: str, photos: list[Path]) -> Path:
    return render_notice(
        tmp_path / relative_path("YH-20261127-0003"),
        number="YH-20261127-0003",
        unit="爆破班",
        location="1520中段掘进工作面",
        description="脚手架扣件松动，存在坍塌风险",
        photos=photos,
        responsible="李四（E1000）",
        deadline=date(2026, 11, 30),
        measures="更换扣件并逐一紧固，设置警戒区",
        issuer="王五",
        date=date(2026, 11, 27),
        language=language,
    )


def test_the_notice_names_number_deadline_and_responsible_person(tmp_path: Path) -> None:
    photos = [jpeg(tmp_path / "a.jpg"), jpeg(tmp_path / "b.jpg", "blue"), jpeg(tmp_path / "c.jpg", "green")]
    pdf = render(tmp_path, "zh-CN", photos)
    assert pdf == tmp_path / "notices" / "整改通知单-YH-20261127-0003.pdf"
    text = text_of(pdf)
    for expected in (
        "隐患整改通知单",
        "YH-20261127-0003",
        "2026-11-30",
        "李四",
        "爆破班",
        "1520中段掘进工作面",
        "更换扣件并逐一紧固",
        "王五",
        "2026-11-27",
    ):
        assert expected in text, (expected, text)
    images = subprocess.run(
        ["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True
    ).stdout
    assert len(images.strip().splitlines()) - 2 == 3  # header lines, then one line per embedded photo


def test_a_damaged_photo_is_named_and_english_works(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    text = text_of(render(tmp_path, "en", [broken]))
    assert "Hazard rectification notice" in text and "Photo cannot be shown" in text
    assert "YH-20261127-0003" in text and "2026-11-30" in text and "李四" in text


def test_names_of_the_notice() -> None:
    assert file_name("YH-20261127-0003") == "整改通知单-YH-20261127-0003.pdf"
    assert relative_path("YH-20261127-0003", 2) == "notices/整改通知单-YH-20261127-0003-2.pdf"
