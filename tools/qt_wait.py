"""Waiting in the screenshot scripts: run Qt's event loop until something is true, or for a while."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtWidgets import QApplication


def wait_until(done: Callable[[], bool], seconds: float = 60) -> None:
    """Process events until ``done()`` or ``seconds`` have passed."""
    app = QApplication.instance()
    assert app is not None
    end = time.monotonic() + seconds
    while not done() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def settle(seconds: float = 0.6) -> None:
    """Let layouts and repaints finish before a grab."""
    wait_until(lambda: False, seconds)
