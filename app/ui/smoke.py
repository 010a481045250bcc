"""``qwendesk --smoke-test``: open the real window, wait until it is shown (and the model loaded), quit.

For packaging/smoke_test.sh, which runs it inside a built bundle: it proves that
the frozen app finds its Qt plugins, opens the store, shows the window and the
About dialog's icon, and, given ``--model``, starts the llama.cpp engine worker
(a spawn child of the frozen executable) and loads the model. One JSON line on
stdout says what it saw; the exit status is 0 when everything came up, 1 when a
load failed or the deadline passed first. The window is closed the normal way,
so the engine worker is shut down as on any quit.
"""

from __future__ import annotations

import json
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.ui.about import AboutDialog
from app.ui.app import build_window

POLL_MS = 50


def run_smoke_test(model: str | None, timeout_s: float = 60.0) -> int:
    """Open the window (and load ``model``), then quit; the exit status (1: failed or timed out)."""
    started = time.monotonic()
    window = build_window(model)
    window.show()
    app = QApplication.instance()
    assert app is not None
    report: dict[str, object] = {"window": "not shown", "model": model, "loaded": None, "worker_pid": None}
    status = {"code": 1, "finished": 0}

    def finish(code: int, error: str | None = None) -> None:
        if status["finished"]:  # a late failure after the window closed
            return
        timer.stop()
        status.update(code=code, finished=1)
        about = AboutDialog(window)
        versions = about.versions
        report.update(
            error=error,
            title=window.windowTitle(),
            icon=not about.icon_label.pixmap().isNull(),
            version=versions.app,
            llama_cpp=versions.llama_cpp,
            qt=versions.qt_line,
            seconds=round(time.monotonic() - started, 2),
        )
        about.deleteLater()
        print(json.dumps(report), flush=True)
        window.close()  # the normal quit: saves settings, shuts the engine worker down
        app.quit()

    def failed(error: object) -> None:
        finish(1, f"{type(error).__name__}: {getattr(error, 'message', error)}")

    def poll() -> None:
        try:
            check()
        except Exception as exc:  # a slot's exception would not stop the event loop: fail instead
            finish(1, f"{type(exc).__name__}: {exc}")

    def check() -> None:
        handle = window.windowHandle()
        if window.isVisible() and handle is not None and handle.isExposed():
            report["window"] = "shown"
        loaded = model is None or (window.bridge.model_path is not None and not window.bridge.busy)
        if model is not None:
            report["loaded"] = window.bridge.model_path
        if report["window"] == "shown" and loaded:
            report["worker_pid"] = window.bridge.engine.worker_pid  # the engine's spawn child
            finish(0)
        elif time.monotonic() - started > timeout_s:
            finish(1, f"timed out after {timeout_s:g} s")

    window.bridge.failed.connect(failed)
    timer = QTimer(window)
    timer.setInterval(POLL_MS)
    timer.timeout.connect(poll)
    timer.start()
    code = app.exec()
    return status["code"] or code
