"""``qwendesk models`` end to end: a real process against the fake Hub."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.cli.models import OFFLINE_NOTE
from app.models.catalog import CATALOG, ORIGINALS
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
    assert human.returncode == 0 and human.stderr == OFFLINE_NOTE + "\n"
    on_this_machine = human.stdout.split("On this machine")[1]
    assert NAME in on_this_machine and REPO in on_this_machine  # downloaded models are listed offline
    assert "[fits" in on_this_machine or "[won't fit" in on_this_machine or "[tight" in on_this_machine

    human = _qwendesk(qwendesk_home, hub.url, "list")
    assert "Q4_K_M" in human.stdout and "[downloaded" in human.stdout

    removed = _qwendesk(qwendesk_home, hub.url, "rm", "Qwen3-4B:Q4_K_M")
    assert removed.returncode == 0 and "MB freed" in removed.stdout
    assert not final.exists()
    assert not [r for r in hub.log if "agent-harnesses" in r.path]  # no telemetry side-requests


def test_offline_first_run_lists_the_catalog(qwendesk_home: Path, scripted_model: Path) -> None:
    """No network, no saved listing: every catalog model with an estimate, one sentence, exit 0."""
    unreachable = closed_port_url()
    assert _qwendesk(qwendesk_home, unreachable, "import", str(scripted_model)).returncode == 0
    human = _qwendesk(qwendesk_home, unreachable, "list")
    assert human.returncode == 0, human.stderr
    assert human.stderr == OFFLINE_NOTE + "\n"  # the one plain sentence, no errno, no traceback
    assert "Errno" not in human.stdout + human.stderr and "Traceback" not in human.stderr
    assert "could not be reached" in OFFLINE_NOTE and "qwendesk models import FILE.gguf" in OFFLINE_NOTE
    lines = human.stdout.splitlines()
    heads = [i for i, line in enumerate(lines) if line.split("  ")[0] in {m.name for m in CATALOG}]
    assert [lines[i].split("  ")[0] for i in heads] == [m.name for m in CATALOG]  # all, in catalog order
    group = lines.index("Qwen3-2507 (newer generation)")
    assert heads[len(ORIGINALS) - 1] < group < heads[len(ORIGINALS)]  # the originals, then the 2507 group
    assert lines[heads[0]] == "Qwen3-0.6B  hybrid thinking, 32K context"
    assert lines[heads[2]] == "Qwen3-4B  hybrid thinking, 32K context (131K with YaRN)"
    names = [lines[i] for i in heads]
    assert "Qwen3-4B-Instruct-2507  no thinking, 262K context" in names
    assert "Qwen3-235B-A22B-Thinking-2507  always thinks, 262K context" in names
    for i in heads:  # each model: its estimated Q4_K_M size and fit, marked as an estimate
        estimate = lines[i + 1]
        assert estimate.lstrip().startswith("Q4_K_M") and " ~" in estimate, estimate
        assert "estimate" in estimate and "[" in estimate, estimate  # and a fit verdict
    assert re.match(r"  Q4_K_M +~2\.4 GB  estimate  \[", lines[heads[2] + 1])  # Qwen3-4B
    local = lines[lines.index("On this machine") + 1]
    assert "scripted.gguf" in local and "imported" in local and "[" in local

    listed = _qwendesk(qwendesk_home, unreachable, "list", "--json")
    assert listed.returncode == 0 and listed.stderr == OFFLINE_NOTE + "\n"
    data = json.loads(listed.stdout)
    assert data["offline"] is True and data["cached"] is False and data["fetched_at"] is None
    assert "Cannot reach" in data["reason"]
    assert [m["name"] for m in data["models"]] == [m.name for m in CATALOG]
    by_name = {m["name"]: m for m in data["models"]}
    assert all(m["quants"] == [] for m in data["models"])
    thinking = by_name["Qwen3-30B-A3B-Thinking-2507"]
    assert (thinking["generation"], thinking["think"]) == ("Qwen3-2507", "always")
    assert thinking["native_ctx"] == thinking["max_ctx"] == 262_144
    assert by_name["Qwen3-8B"]["think"] == "hybrid" and by_name["Qwen3-8B"]["max_ctx"] == 131_072
    estimate = by_name["Qwen3-4B"]["estimate"]
    assert estimate["quant"] == "Q4_K_M" and estimate["size"] > 2_000_000_000 and estimate["fit"]
    [imported] = data["installed"]
    assert imported["repo"] is None and imported["name"] == "scripted" and imported["fit"]


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


def test_a_model_whose_fit_cannot_be_estimated_is_listed_and_says_why(
    qwendesk_home: Path, scripted_model: Path, tmp_path: Path
) -> None:
    unreachable = closed_port_url()
    own = tmp_path / "damaged-later.gguf"  # import may link the file: never damage the shared model
    own.write_bytes(scripted_model.read_bytes())
    assert _qwendesk(qwendesk_home, unreachable, "import", str(own)).returncode == 0
    [imported] = (qwendesk_home / "models").rglob("*.gguf")
    data = imported.read_bytes()[:64]
    imported.unlink()  # a new file, whatever import made of it (a link or a copy)
    imported.write_bytes(data)  # damaged since: its header cannot be read
    listed = _qwendesk(qwendesk_home, unreachable, "list")
    assert listed.returncode == 0, listed.stderr  # the list still lists
    assert imported.name in listed.stdout
    problems = [line for line in listed.stderr.splitlines() if line.startswith("qwendesk: No fit estimate")]
    assert len(problems) == 1 and f"{imported.name} could not be estimated" in problems[0]
    assert "Traceback" not in listed.stderr
