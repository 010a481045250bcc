"""Two starts on one chat history: the second brings the first window to the front and exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.ui import single_instance
from app.ui.app import build_window
from tests.ui.conftest import open_window

ROOT = Path(__file__).resolve().parents[2]


def _env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QWENDESK_HOME": str(home),
        "QT_QPA_PLATFORM": "offscreen",
    }


def test_a_second_start_raises_the_first_window_and_exits(qtbot: QtBot, qwendesk_home: Path) -> None:
    window = open_window(qtbot, None)
    instance = single_instance.claim(qwendesk_home)
    assert instance is not None and instance.listening
    conv = window.store.create_conversation("Live")
    live = window.store.add_message(conv.id, "assistant", "half an answer", status="streaming")
    window.showMinimized()
    started = time.monotonic()
    second = subprocess.Popen(
        [sys.executable, "-m", "app"],
        cwd=ROOT,
        env=_env(qwendesk_home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with qtbot.waitSignal(instance.raise_requested, timeout=30_000):
            pass  # the event loop runs: the first answers the second's request
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=30_000)
    finally:
        if second.poll() is None:
            second.kill()
        _out, err = second.communicate(timeout=10)
    assert second.returncode == 0, err
    assert "already running" in err and "front" in err
    assert time.monotonic() - started < 30
    assert not window.isMinimized() and window.isVisible()
    # It never opened the history: the live answer is still streaming.
    assert window.store.get_message(live.id).status == "streaming"
    window.close()


def test_build_window_refuses_a_history_another_process_holds(qtbot: QtBot, qwendesk_home: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(qwendesk_home)],
        cwd=ROOT,
        env=_env(qwendesk_home),
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline().strip() == "HOLDING"
        assert single_instance.claim(qwendesk_home) is None
        with pytest.raises(single_instance.AlreadyRunningError):
            build_window(None)
        # It holds the lock but does not listen (hung): asking gives up, it does not wait forever.
        t = time.monotonic()
        assert not single_instance.ask_running(qwendesk_home, timeout_s=1.0)
        assert time.monotonic() - t < 5
    finally:
        if sys.platform == "win32":
            holder.kill()
        else:
            os.kill(holder.pid, signal.SIGKILL)  # dies holding the lock: a crash
        holder.wait(timeout=10)
        holder.stdout.close()
        holder.stdin.close()
    # The lock a dead process left is taken over at once.
    window = open_window(qtbot, None)
    assert single_instance.claim(qwendesk_home) is not None
    window.close()


# Holds the lock of a data dir, without a window or a socket, until killed.
HOLDER = r"""
import sys
from pathlib import Path
from PySide6.QtCore import QCoreApplication, QLockFile
app = QCoreApplication([])
lock = QLockFile(str(Path(sys.argv[1]).resolve() / "qwendesk.lock"))
lock.setStaleLockTime(0)
Path(sys.argv[1]).mkdir(parents=True, exist_ok=True)
assert lock.tryLock(0)
print("HOLDING", flush=True)
sys.stdin.read()
"""


def test_the_socket_name_is_per_data_dir(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert single_instance.server_name(a) == single_instance.server_name(tmp_path / "x" / ".." / "a")
    assert single_instance.server_name(a) != single_instance.server_name(b)
    assert len(single_instance.server_name(a)) < 30  # Unix socket paths are short


def test_a_first_window_that_does_not_answer_is_reported(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from app.ui.app import run_gui

    shown: list[str] = []
    monkeypatch.setattr(single_instance, "claim", lambda directory: None)  # held by another process
    monkeypatch.setattr(single_instance, "ask_running", lambda directory: False)  # which is hung
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    assert run_gui(None) == 1
    assert len(shown) == 1 and "does not answer" in shown[0]


def test_a_request_before_the_window_exists_shows_it_once_it_does(qtbot: QtBot, qwendesk_home: Path) -> None:
    from PySide6.QtWidgets import QWidget

    from app.ui.app import _application

    _application()
    instance = single_instance.claim(qwendesk_home)
    assert instance is not None
    asker = subprocess.Popen(
        [sys.executable, "-c", ASKER, str(qwendesk_home)], cwd=ROOT, env=_env(qwendesk_home),
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        with qtbot.waitSignal(instance.raise_requested, timeout=30_000):
            pass
        qtbot.waitUntil(lambda: asker.poll() is not None, timeout=30_000)
        assert asker.communicate(timeout=10)[0].strip() == "True"
    finally:
        if asker.poll() is None:
            asker.kill()
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.showMinimized()
    instance.set_window(widget)  # the window built after the request came
    assert widget.isVisible() and not widget.isMinimized()
    instance.release()
    assert single_instance.claim(qwendesk_home) is not instance  # released: claimed afresh


ASKER = r"""
import sys
from pathlib import Path
from PySide6.QtCore import QCoreApplication
from app.ui.single_instance import ask_running
app = QCoreApplication([])
print(ask_running(Path(sys.argv[1])), flush=True)
"""
