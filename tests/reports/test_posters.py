"""QR posters: one A4 page per location, each QR code decodes to its deep link, the page names the place;
`safetybot qr` writes them for a unit and below, and refuses clearly when there is nothing to print."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from typer.testing import CliRunner

from bot.cli import SANDBOX_BOT_USERNAME, app
from safety.reports.posters import Poster, render

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
runner = CliRunner()


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    sizes = [line for line in info.splitlines() if line.startswith("Page size:")]
    assert sizes and "(A4)" in sizes[0]
    return int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])


def _page_text(pdf: Path, page: int) -> str:
    args = ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def _qr_links(pdf: Path, tmp_path: Path) -> list[str]:
    """The QR code of each page, decoded from the page rasterised at 150 dpi."""
    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(prefix)], check=True)
    links = []
    for png in sorted(tmp_path.glob("page-*.png")):
        found = zxingcpp.read_barcodes(Image.open(png))
        assert len(found) == 1, png
        links.append(found[0].text)
    return links


def test_each_page_names_its_location_and_its_qr_code_decodes_to_its_link(tmp_path: Path) -> None:
    posters = [
        Poster("1520中段掘进工作面", "爆破班", "https://t.me/demo_bot?start=loc-pl-1520-face"),
        Poster("炸药库", "普朗铜矿项目部", "https://t.me/demo_bot?start=loc-pl-magazine"),
        Poster("很长的地点名称" * 28, "单位" * 100, "https://t.me/demo_bot?start=loc-" + "a" * 40),
    ]
    pdf = tmp_path / "posters.pdf"
    pdf.write_bytes(render(posters, language="zh-CN"))
    assert _pages(pdf) == 3
    assert _qr_links(pdf, tmp_path) == [p.link for p in posters]
    first = _page_text(pdf, 1)
    assert "1520中段掘进工作面" in first and "爆破班" in first
    assert "https://t.me/demo_bot?start=loc-pl-1520-face" in first
    assert "扫描二维码" in first  # the instructions, in the deployment's language
    assert "炸药库" in _page_text(pdf, 2)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    monkeypatch.setenv("SAFETYBOT_DATABASE_URL", url)
    monkeypatch.delenv("SAFETYBOT_TELEGRAM_TOKEN", raising=False)
    assert runner.invoke(app, ["import", "org", str(EXAMPLES / "org.yaml")]).exit_code == 0
    return url


def test_qr_for_a_unit_prints_its_locations_and_those_below_it(database: str, tmp_path: Path) -> None:
    out = tmp_path / "pulang.pdf"
    missing = runner.invoke(app, ["qr", "--out", str(out)])
    assert missing.exit_code == 1 and not out.exists()
    assert "safetybot import locations" in missing.stderr
    assert runner.invoke(app, ["import", "locations", str(EXAMPLES / "locations.yaml")]).exit_code == 0
    done = runner.invoke(app, ["qr", "--unit", "proj-pulang", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert _pages(out) == 4  # pl-magazine, and the faces of team-blast, team-drill, team-haul
    links = _qr_links(out, tmp_path)
    assert sorted(links) == sorted(
        f"https://t.me/{SANDBOX_BOT_USERNAME}?start=loc-{i}"
        for i in ("pl-magazine", "pl-1520-face", "pl-1480-drill", "pl-ramp")
    )
    assert "炸药库" in _page_text(out, 1)  # the project's own location first, then its teams'


def test_qr_with_a_named_bot_and_the_refusals(database: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["import", "locations", str(EXAMPLES / "locations.yaml")]).exit_code == 0
    out = tmp_path / "mill.pdf"
    done = runner.invoke(app, ["qr", "--unit", "team-mill", "--bot", "@SiteSafetyBot", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert _qr_links(out, tmp_path) == ["https://t.me/SiteSafetyBot?start=loc-xq-mill-floor"]
    for args in (["--unit", "nowhere"], ["--unit", "team-blast", "--bot", "a b"]):
        elsewhere = tmp_path / "refused.pdf"
        refused = runner.invoke(app, ["qr", *args, "--out", str(elsewhere)])
        assert refused.exit_code == 1 and not elsewhere.exists(), refused.output
        assert refused.stderr.strip()


def test_many_posters_show_progress_on_stderr(database: str, tmp_path: Path) -> None:
    many = tmp_path / "many.yaml"
    rows = "".join(
        f"  - {{id: haul-{i:02d}, name: 运输巷道{i:02d}号点, unit: team-haul}}\n" for i in range(20)
    )
    many.write_text("locations:\n" + rows, encoding="utf-8")
    assert runner.invoke(app, ["import", "locations", str(many)]).exit_code == 0
    out = tmp_path / "haul.pdf"
    done = runner.invoke(app, ["qr", "--unit", "team-haul", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert _pages(out) == 20
    assert "海报：10/20" in done.stderr and "海报：20/20" in done.stderr
    assert f"已将 20 张海报写入 {out}" in done.stderr


def test_with_a_token_and_no_answer_from_telegram_it_asks_for_bot(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(app, ["import", "locations", str(EXAMPLES / "locations.yaml")]).exit_code == 0
    monkeypatch.setenv("SAFETYBOT_TELEGRAM_TOKEN", "123456:" + "A" * 35)
    monkeypatch.setenv("SAFETYBOT_TELEGRAM_BASE_URL", "http://127.0.0.1:9/bot")  # nothing listens there
    out = tmp_path / "posters.pdf"
    refused = runner.invoke(app, ["qr", "--out", str(out)])
    assert refused.exit_code == 1 and not out.exists()
    assert "--bot" in refused.stderr


def test_an_unwritable_out_file_is_one_line(database: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["import", "locations", str(EXAMPLES / "locations.yaml")]).exit_code == 0
    refused = runner.invoke(app, ["qr", "--unit", "team-mill", "--out", str(tmp_path / "no" / "such.pdf")])
    assert refused.exit_code == 2 and refused.stderr.startswith("无法写入")
