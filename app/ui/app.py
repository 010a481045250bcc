"""Start the chat window: QApplication, theme, store, engine, main window."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from app import __version__
from app.models.locate import resolve_model
from app.privacy import go_offline
from app.store.chat_store import ChatStore
from app.ui import language, theme
from app.ui.about import app_icon
from app.ui.engine_bridge import EngineBridge
from app.ui.main_window import MainWindow
from app.ui.settings import Settings

qt_log = logging.getLogger("qwendesk.qt")
_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _qt_message(kind: QtMsgType, _context: object, message: str) -> None:
    qt_log.log(_LEVELS.get(kind, logging.WARNING), message)


def build_window(model: str | None = None) -> MainWindow:
    """Everything but the event loop (tests and screenshot scripts use this too)."""
    go_offline()  # before anything can import huggingface_hub; the model manager opens it on request
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("QwenDesk")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    qInstallMessageHandler(_qt_message)
    settings = Settings()
    lang = language.resolve(str(settings.get("language")))
    language.install(app, lang)  # before any widget: their texts are translated when they are built
    language.apply_cjk_fallback(app, lang)
    dark = theme.resolve_dark(str(settings.get("theme")))
    theme.apply(app, dark)
    store = ChatStore.open_default()
    interrupted = store.mark_interrupted()
    store.purge_deleted(older_than_s=86_400)
    window = MainWindow(store, EngineBridge(), settings, dark=dark)
    if interrupted:
        window.show_interrupted(interrupted)
    if settings.get("api_server/enabled"):
        window.api_server.apply()  # opt-in: only when switched on in File → Local API server
    last = str(settings.get("last_model") or "")
    target = resolve_model(model) if model else (last if last and Path(last).is_file() else None)
    if target:
        window.controller.load_model(target)
    return window


def run_gui(model: str | None = None) -> int:
    window = build_window(model)
    window.show()
    app = QApplication.instance()
    assert app is not None
    return app.exec()
