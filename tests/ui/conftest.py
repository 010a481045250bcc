"""Real widgets, offscreen, with one QApplication for the session (pytest-qt's qapp)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QWENDESK_THEME", "light")
os.environ.setdefault("QWENDESK_LANG", "en")  # the English the tests assert, whatever the system's locale

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.ui.app import build_window
from app.ui.main_window import MainWindow


def open_window(qtbot: QtBot, model: Path | None) -> MainWindow:
    window = build_window(str(model) if model else None)
    qtbot.addWidget(window)
    window.show()
    if model is not None:
        qtbot.waitUntil(
            lambda: window.bridge.model_path is not None and not window.bridge.busy, timeout=30_000
        )
    return window


@pytest.fixture
def window(qtbot: QtBot, scripted_model: Path) -> Iterator[MainWindow]:
    w = open_window(qtbot, scripted_model)
    yield w
    w.close()


def send(qtbot: QtBot, window: MainWindow, text: str, timeout: int = 30_000) -> None:
    """Type into the composer and press Enter, then wait for the turn to end."""
    from PySide6.QtCore import Qt

    window.composer.input.setPlainText(text)
    qtbot.keyClick(window.composer.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.controller.answering, timeout=timeout)
