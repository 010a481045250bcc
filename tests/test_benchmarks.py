"""Benchmarks must keep running: each one that has a quick mode is run in it (figures are not checked)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(180)
def test_threads_benchmark_runs_in_quick_mode(tmp_path: Path) -> None:
    env_home = {"QWENDESK_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "threads.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=170,
        env={**os.environ, **env_home},
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "<!-- bench:threads -->" in r.stdout and "| 1 |" in r.stdout


@pytest.mark.timeout(240)
def test_api_hostile_benchmark_runs_small(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "api_hostile.py"), "--requests", "5", "--hostile", "1",
         "--rounds", "1", "--rate", "20", "--header-timeout", "1"],
        capture_output=True,
        text=True,
        timeout=230,
        env={**os.environ, "QWENDESK_HOME": str(tmp_path)},
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    assert "<!-- bench:api-hostile -->" in r.stdout


@pytest.mark.timeout(180)
def test_ui_stream_benchmark_runs_in_quick_mode(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "ui_stream.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=170,
        env={**os.environ, "QWENDESK_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"},
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "<!-- bench:ui -->" in r.stdout and "<!-- /bench:ui -->" in r.stdout
    assert "| 2,000 tokens |" in r.stdout and "| 50 | " in r.stdout


@pytest.mark.timeout(240)
@pytest.mark.parametrize(
    ("script", "args", "marker"),
    [
        ("api_paths.py", ["--runs", "1", "--tokens", "16"], "<!-- bench:api -->"),
        ("documents.py", ["--runs", "1"], "<!-- bench:documents -->"),
        ("kv_restore.py", ["--quick"], "<!-- bench:kv-restore -->"),
    ],
)
def test_the_other_benchmarks_run_small(tmp_path: Path, script: str, args: list[str], marker: str) -> None:
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=230,
        env={**os.environ, "QWENDESK_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"},
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert marker in r.stdout
