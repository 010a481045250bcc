"""Privacy: a chat and a document question, in the CLI and in the window, open no network connection.

Every process involved (the app and its llama.cpp worker) runs with an audit hook
(tests/netguard/sitecustomize.py) that logs and refuses name lookups and connections.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.documents.make_docs import QUESTION_EN, write_fact_pdf

GUARD = Path(__file__).parent / "netguard"
ROOT = Path(__file__).resolve().parents[1]
REPLY = "Hello! How can I help?"


def audited(args: list[str], log: Path, home: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": str(GUARD),
        "QWENDESK_NET_AUDIT": str(log),
        "QWENDESK_HOME": str(home),
        "QT_QPA_PLATFORM": "offscreen",
    }
    env.pop("HF_HUB_OFFLINE", None)  # the app must switch offline mode on by itself
    return subprocess.run(args, capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)


def watched_processes(log: Path) -> set[str]:
    return {line.split()[0] for line in log.read_text().splitlines() if " watching " in line}


def attempts(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if " ATTEMPT " in line]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fact_pdf(tmp_path_factory.mktemp("private") / "report.pdf")


def test_the_guard_catches_a_connection(tmp_path: Path) -> None:
    log = tmp_path / "net.log"
    code = "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9', timeout=2)"
    r = audited([sys.executable, "-c", code], log, tmp_path)
    assert r.returncode != 0 and "network access is not allowed" in r.stderr
    assert attempts(log), "the audit hook did not see the connection"


def test_cli_chat_with_a_document_stays_offline(tmp_path: Path, scripted_model: Path, report: Path) -> None:
    log = tmp_path / "net.log"
    args = [sys.executable, "-m", "app", "chat", "--model", str(scripted_model), "--attach", str(report)]
    r = audited([*args, "--json", QUESTION_EN], log, tmp_path / "home")
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]
    assert "".join(e["text"] for e in events if e["event"] == "answer") == REPLY
    assert len(watched_processes(log)) >= 2  # the CLI and its engine worker
    assert attempts(log) == []


def test_window_chat_with_a_document_stays_offline(
    tmp_path: Path, scripted_model: Path, report: Path
) -> None:
    log = tmp_path / "net.log"
    script = str(GUARD / "gui_chat.py")
    r = audited(
        [sys.executable, script, str(scripted_model), str(report), QUESTION_EN], log, tmp_path / "home"
    )
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout.splitlines()[-1])
    assert result["answer"] == REPLY and result["sources"][0]["page"] == 37
    assert len(watched_processes(log)) >= 2  # the window and its engine worker
    assert attempts(log) == []
