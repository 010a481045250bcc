"""``qwendesk models`` end to end: a real process against the fake Hub."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.models.conftest import NAME, REPO
from tests.models.fake_hub import FakeHub, closed_port_url


def _env(home: Path, endpoint: str) -> dict[str, str]:
    env = dict(os.environ, QWENDESK_HOME=str(home), HF_ENDPOINT=endpoint)
    env.pop("HF_HUB_OFFLINE", None)
    return env


def _qwendesk(home: Path, endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "models", *args],
        env=_env(home, endpoint),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_list_pull_rm(hub: FakeHub, qwendesk_home: Path) -> None:
    listed = _qwendesk(qwendesk_home, hub.url, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    [q4] = next(m for m in data["models"] if m["name"] == "Qwen3-4B")["quants"]
    assert (q4["quant"], q4["repo"], q4["state"]) == ("Q4_K_M", REPO, None)
    assert data["cached"] is False

    pulled = _qwendesk(qwendesk_home, hub.url, "pull", "Qwen3-4B")
    assert pulled.returncode == 0, pulled.stderr
    final = qwendesk_home / "models" / "Qwen--Qwen3-4B-GGUF" / NAME
    assert pulled.stdout.strip() == str(final)
    assert "100.0%" in pulled.stderr and "qwendesk chat --model Qwen3-4B:Q4_K_M" in pulled.stderr
    assert final.read_bytes() == hub.repos[REPO][NAME]

    again = _qwendesk(qwendesk_home, hub.url, "pull", "Qwen3-4B:Q4_K_M")
    assert again.returncode == 0 and "already downloaded" in again.stderr

    human = _qwendesk(qwendesk_home, closed_port_url(), "list")  # another endpoint, no cache for it
    assert human.returncode == 1 and human.stderr.startswith("qwendesk: error: Cannot reach")

    human = _qwendesk(qwendesk_home, hub.url, "list")
    assert "Q4_K_M" in human.stdout and "[downloaded" in human.stdout

    removed = _qwendesk(qwendesk_home, hub.url, "rm", "Qwen3-4B:Q4_K_M")
    assert removed.returncode == 0 and "MB freed" in removed.stdout
    assert not final.exists()
    assert not [r for r in hub.log if "agent-harnesses" in r.path]  # no telemetry side-requests


def test_errors_are_one_line_without_traceback(hub: FakeHub, qwendesk_home: Path, tmp_path: Path) -> None:
    hub.gated.add(REPO)
    for args, expected in [
        (("pull", "Qwen3-4B"), "accept the license on the Hub"),
        (("pull", "Qwen3-4B:Q2_K"), "No quantization Q2_K"),
        (("rm", "Qwen3-4B:Q4_K_M"), "no installed model matches"),
        (("import", str(tmp_path / "nothing.gguf")), "not found"),
    ]:
        out = _qwendesk(qwendesk_home, hub.url, *args)
        assert out.returncode == 1, (args, out.stderr)
        last = out.stderr.splitlines()[-1]
        assert last.startswith("qwendesk: error: ") and expected in last, out.stderr
        assert "Traceback" not in out.stderr


def test_ctrl_c_pauses_and_the_same_pull_resumes(hub: FakeHub, qwendesk_home: Path) -> None:
    hub.slow_s = 0.03
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "models", "pull", "Qwen3-4B"],
        env=_env(qwendesk_home, hub.url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    part = qwendesk_home / "models" / "Qwen--Qwen3-4B-GGUF" / (NAME + ".part")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (part.exists() and part.stat().st_size > 100_000):
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "run `qwendesk models pull Qwen3-4B` again to resume" in err and "Traceback" not in err
    kept = part.stat().st_size
    assert kept > 100_000

    hub.slow_s = 0.0
    resumed = _qwendesk(qwendesk_home, hub.url, "pull", "Qwen3-4B")
    assert resumed.returncode == 0, resumed.stderr
    assert hub.gets(NAME)[-1].range == f"bytes={kept}-"
