"""Start the chat window: QApplication, theme, store, engine, main window."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

from app import __version__
from app.models.locate import resolve_model
from app.paths import data_dir
from app.privacy import go_offline
from app.store.chat_store import ChatStore
from app.ui import language, single_instance, theme
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


def _application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("QwenDesk")
    return app


def build_window(model: str | None = None) -> MainWindow:
    """Everything but the event loop (tests and screenshot scripts use this too).

    Raises :class:`single_instance.AlreadyRunningError` when another live QwenDesk has the chat
    history open (:func:`run_gui` asks that one to come to the front instead).
    """
    go_offline()  # before anything can import huggingface_hub; the model manager opens it on request
    app = _application()
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    qInstallMessageHandler(_qt_message)
    settings = Settings()
    lang = language.resolve(str(settings.get("language")))
    language.install(app, lang)  # before any widget: their texts are translated when they are built
    language.apply_cjk_fallback(app, lang)
    dark = theme.resolve_dark(str(settings.get("theme")))
    theme.apply(app, dark)
    theme.follow_system(app, lambda: str(settings.get("theme")))
    instance = single_instance.claim(data_dir())  # before the store: a second window never opens it
    if instance is None:
        raise single_instance.AlreadyRunningError(f"QwenDesk is already running on {data_dir()}")
    store = ChatStore.open_default()
    interrupted = store.mark_interrupted()
    store.purge_deleted(older_than_s=86_400)
    window = MainWindow(store, EngineBridge(), settings, dark=dark)
    instance.set_window(window)
    if interrupted:
        window.show_interrupted(interrupted)
    window.start_tools()  # only MCP servers the user enabled; none: nothing is imported or started
    if settings.get("api_server/enabled"):
        window.api_server.apply()  # opt-in: only when switched on in File → Local API server
    last = str(settings.get("last_model") or "")
    target = resolve_model(model) if model else (last if last and Path(last).is_file() else None)
    if target:
        window.controller.load_model(target)
    return window


def run_gui(model: str | None = None) -> int:
    """The window and its event loop; the exit status.

    A second start on the same chat history brings the running window to the front and exits
    0 (saying so on stderr): two windows on one history would mark each other's answers.
    """
    app = _application()
    if single_instance.claim(data_dir()) is None:
        if single_instance.ask_running(data_dir()):
            print("qwendesk: already running; brought its window to the front", file=sys.stderr)
            return 0
        print("qwendesk: already running but not answering; not opening a second window", file=sys.stderr)
        language.install(app, language.resolve(str(Settings().get("language"))))
        QMessageBox.warning(
            None,
            "QwenDesk",
            QCoreApplication.translate(
                "App",
                "QwenDesk is already running with this chat history, but its window does not answer. "
                "Close it (or end it in the task manager), then start QwenDesk again.",
            ),
        )
        return 1
    window = build_window(model)
    window.show()
    return app.exec()
