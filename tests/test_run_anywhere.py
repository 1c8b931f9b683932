"""`safetybot run` from any directory, installed from a wheel: the demo data ships inside the package
(bot/demo_data, links to examples/ in the checkout, real files in the wheel), so a run started in an
empty directory far from the checkout, without a token, serves both sandboxes with the demo people."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx

from bot.demo import examples_dir
from bot.sandbox import SandboxClient

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("bot", "handlers", "jobs", "safety", "storage", "examples", "pyproject.toml", "README.md")
DEMO_FILES = ("org.yaml", "questions.yaml", "locations.yaml", "checklists.yaml", "cards.yaml", "shifts.yaml")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _build_wheel(tmp: Path) -> Path:
    """A wheel built the ordinary way (pip, the project's build backend) from a copy of the checkout,
    offline: the backend (setuptools, wheel) comes from the dev dependencies, never from the index."""
    source = tmp / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    built = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"),
            *("-q", "-w", str(tmp / "dist"), str(source)),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp / "dist").glob("safetybot-*.whl")
    return wheel


def _demo_dir_seen(cwd: Path, env: dict[str, str]) -> str:
    """Where the process started in `cwd` with `env` reads the demo data from."""
    which = subprocess.run(
        [sys.executable, "-c", "import bot.demo; print(bot.demo.examples_dir())"],
        cwd=cwd, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return which.stdout.strip()


def test_the_demo_data_is_read_from_the_package() -> None:
    here = examples_dir()
    assert here == ROOT / "bot" / "demo_data"
    for name in DEMO_FILES:
        assert (here / name).read_bytes() == (ROOT / "examples" / name).read_bytes(), name


async def _read_until(stream: asyncio.StreamReader, pattern: str, seconds: float) -> str:
    seen: list[str] = []
    async with asyncio.timeout(seconds):
        while True:
            line = (await stream.readline()).decode()
            if not line:
                raise AssertionError("process ended early:\n" + "".join(seen))
            seen.append(line)
            if pattern in line:
                return line


async def test_run_from_an_empty_directory_with_the_wheel_serves_both_sandboxes(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name in DEMO_FILES:  # the files themselves, not links into a checkout
            assert archive.read(f"bot/demo_data/{name}") == (ROOT / "examples" / name).read_bytes()
        assert {"bot/sandbox/static/wecom.js", "bot/sandbox_wecom/server.py"} <= names
        archive.extractall(tmp_path / "site")  # a pure-Python wheel installs by unpacking
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFETYBOT_")}
    env |= {
        "PYTHONPATH": str(tmp_path / "site"),  # ahead of the checkout's editable install
        "SAFETYBOT_SANDBOX_PORT": str(port),
        "SAFETYBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        "SAFETYBOT_DATA_DIR": str(tmp_path / "data"),
    }
    assert _demo_dir_seen(elsewhere, env) == str(tmp_path / "site" / "bot" / "demo_data")
    safetybot = Path(sys.executable).with_name("safetybot")
    proc = await asyncio.create_subprocess_exec(
        str(safetybot), "run",
        cwd=elsewhere, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        line = await _read_until(proc.stdout, "open http://127.0.0.1:", 90)
        assert f"http://127.0.0.1:{port}/" in line
        async with SandboxClient(f"http://127.0.0.1:{port}") as client:
            users = await client.users()
            assert len(users) >= 15 and any(u["first_name"] == "张三" for u in users)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert (await http.get("/sandbox/api/channels")).json()["channels"] == ["telegram", "wecom"]
            members = (await http.get("/sandbox/api/channel/wecom/members")).json()["members"]
        assert len(members) == len(users)
        assert {"E1001", "S0001"} <= {m["userid"] for m in members}, "WeCom userids are employee numbers"
        proc.send_signal(signal.SIGTERM)
        await _read_until(proc.stdout, "stopped cleanly", 60)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert not (elsewhere / "examples").exists() and list(elsewhere.iterdir()) == []
