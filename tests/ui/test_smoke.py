"""``qwendesk --smoke-test`` (what packaging/smoke_test.py runs in a built bundle), here from source."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def smoke(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QWENDESK_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "app", "--smoke-test", *args],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
    )


def test_window_shown_model_loaded_then_quits(scripted_model: Path, qwendesk_home: Path) -> None:
    r = smoke("--model", str(scripted_model), home=qwendesk_home)
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads(r.stdout.splitlines()[-1])
    assert report["window"] == "shown" and report["error"] is None
    assert report["loaded"] == str(scripted_model)
    assert isinstance(report["worker_pid"], int)
    assert report["icon"] is True and report["title"] == "QwenDesk"
    assert "Traceback" not in r.stderr


def test_a_failed_load_fails_the_smoke_test(tmp_path: Path, qwendesk_home: Path) -> None:
    r = smoke("--model", str(tmp_path / "missing.gguf"), home=qwendesk_home)
    assert r.returncode == 1
    report = json.loads(r.stdout.splitlines()[-1])
    assert "not found" in report["error"] and report["worker_pid"] is None


def test_the_flag_is_hidden() -> None:
    r = subprocess.run([sys.executable, "-m", "app", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "--smoke-test" not in r.stdout
