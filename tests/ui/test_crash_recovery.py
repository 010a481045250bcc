"""kill -9 in the middle of an answer: at most the last second is lost, and it comes back marked."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.store.chat_store import ChatStore
from tests.ui.conftest import open_window

ROOT = Path(__file__).resolve().parents[2]

APP_SCRIPT = """
import os
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from app.ui.app import build_window

window = build_window({model!r})
window.show()

def send_when_loaded():
    if window.bridge.busy or not window.bridge.model_path:
        QTimer.singleShot(50, send_when_loaded)
        return
    window.composer.input.setPlainText("tell me everything")
    window.composer._on_submit()
    print("SENT", flush=True)

QTimer.singleShot(50, send_when_loaded)
QApplication.instance().exec()
"""


def test_killed_app_keeps_the_partial_answer(qtbot: QtBot, looping_model: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(APP_SCRIPT.format(model=str(looping_model)))],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "SENT"
    time.sleep(2.5)  # streaming (the looping model thinks until its context is full)
    proc.kill()  # SIGKILL: no chance to save anything
    killed_at = time.time()
    proc.wait(timeout=10)
    proc.stdout.close()

    with ChatStore.open_default() as store:
        (conv,) = store.list_conversations()
        user, answer = store.messages(conv.id)
        assert user.content == "tell me everything"
        assert answer.status == "streaming"  # exactly as it was when the process died
        assert len(answer.reasoning) > 100
        assert killed_at - answer.updated_at < 1.5  # checkpointed at least once a second

    window = open_window(qtbot, None)
    w = window.view.widgets[-1]
    assert w.message.status == "interrupted"
    assert w.status.text().startswith("Interrupted")
    assert w.reasoning is not None and w.reasoning.text().startswith("round and again")
    assert "interrupted" in window.statusBar().currentMessage()
    window.close()
