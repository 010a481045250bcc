"""The main window: conversations on the left, the open conversation on the right."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.models.load_options import LoadOptions
from app.store.chat_store import ChatStore
from app.ui import language
from app.ui.about import AboutDialog
from app.ui.api_server_dialog import ApiServerControl, ApiServerDialog
from app.ui.attachments import file_filter
from app.ui.chat_area import ChatArea
from app.ui.chat_controller import ChatController
from app.ui.chat_view import ChatView
from app.ui.composer import Composer, local_files
from app.ui.conversation_list import ConversationList
from app.ui.conversation_settings import ConversationSettingsDialog
from app.ui.engine_bridge import EngineBridge
from app.ui.load_settings import LoadSettingsDialog, open_load_settings
from app.ui.model_manager import ModelManager
from app.ui.settings import Settings
from app.ui.speed_control import SpeedControl
from app.ui.welcome import WelcomePanel
from app.ui.window_export import ask_export_path, export_conversation
from app.ui.window_tools import WindowTools

if TYPE_CHECKING:
    from app.ui.remote_dialog import RemoteDialog

log = logging.getLogger("qwendesk.ui")
UNDO_MS = 10_000


class MainWindow(QMainWindow):
    def __init__(
        self, store: ChatStore, bridge: EngineBridge, settings: Settings, *, dark: bool = False
    ) -> None:
        super().__init__()
        self.setWindowTitle("QwenDesk")  # the product name: never translated
        self.setAcceptDrops(True)  # documents to attach, GGUFs to import
        self.store, self.bridge, self.settings, self.dark = store, bridge, settings, dark
        self.conversations = ConversationList()
        self.view = ChatView(dark=dark)
        self.composer = Composer()
        self.controller = ChatController(
            store, bridge, self.view, self.composer, saved_options=settings.load_options
        )

        self.title = QLabel(self.tr("New chat"))
        self.title.setObjectName("conversationTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.mode_badge = QLabel()
        self.mode_badge.setObjectName("modeBadge")
        self.remote_badge = QLabel()  # this conversation was sent to a server: said plainly
        self.remote_badge.setObjectName("remoteBadge")
        self.remote_badge.hide()
        self.settings_button = QPushButton(self.tr("Settings…"))
        self.settings_button.setFlat(True)
        self.settings_button.clicked.connect(self.edit_conversation_settings)
        header = QHBoxLayout()
        header.setContentsMargins(16, 8, 12, 0)
        header.setSpacing(8)
        header.addWidget(self.title, 1)
        header.addWidget(self.remote_badge)
        header.addWidget(self.mode_badge)
        header.addWidget(self.settings_button)
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addLayout(header)
        self.chat_area = ChatArea(self.view)
        self.chat_area.on_welcome_built = self._wire_welcome
        column.addWidget(self.chat_area, 1)
        column.addWidget(self.composer)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.conversations)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 740])
        self.setCentralWidget(self.splitter)

        self.undo_button = QPushButton(self.tr("Undo"))
        self.undo_button.hide()
        self.undo_button.clicked.connect(self._undo_delete)
        self.statusBar().addPermanentWidget(self.undo_button)
        self._undo_timer = QTimer(self, singleShot=True, interval=UNDO_MS)
        self._undo_timer.timeout.connect(self._undo_expired)
        self._deleted: int | None = None
        self.model_manager: ModelManager | None = None
        self.api_server = ApiServerControl(bridge.shared, settings)
        self.window_tools = WindowTools()
        self.speed = SpeedControl(bridge, store, settings, self.controller)
        self.speed.apply()
        self.speed.prune_at_start()

        self._actions()
        self._connect()
        self.apply_font_size(settings.font_size)
        self._restore_geometry()
        self.refresh_list()
        ids = self.conversations.ids()
        if ids:
            self.open_conversation(ids[0])
        else:
            self._show_header()
            QTimer.singleShot(0, self.update_welcome)  # after build_window has started loading a model
        self.composer.input.setFocus()

    # -------------------------------------------------------------- set-up

    def _actions(self) -> None:
        def act(menu, text: str, slot, shortcut=None) -> QAction:
            a = QAction(text, self)
            if shortcut is not None:
                a.setShortcut(QKeySequence(shortcut))
            a.triggered.connect(slot)
            menu.addAction(a)
            return a

        file = self.menuBar().addMenu(self.tr("&File"))
        act(file, self.tr("&New chat"), self.new_conversation, QKeySequence.StandardKey.New)
        act(file, self.tr("&Models…"), self.open_model_manager, "Ctrl+M")
        act(file, self.tr("Open a GGUF &file…"), self.choose_model, "Ctrl+O")
        act(file, self.tr("&Load settings…"), self.edit_load_settings, "Ctrl+L")
        act(file, self.tr("Connect to a &server…"), self.open_remote_dialog, "Ctrl+Shift+O")
        self.use_local_action = act(file, self.tr("Use the l&ocal model"), self.controller.use_local)
        self.use_local_action.setEnabled(False)
        act(file, self.tr("Local &API server…"), self.open_api_server_dialog)
        act(file, self.tr("&Tools (MCP servers)…"), self.open_tools_dialog, "Ctrl+T")
        act(file, self.tr("S&peed and memory…"), self.open_speed_dialog)
        act(file, self.tr("&Export conversation…"), self.export_current, "Ctrl+E")
        file.addSeparator()
        act(file, self.tr("&Quit"), self.close, QKeySequence.StandardKey.Quit)
        conv = self.menuBar().addMenu(self.tr("&Conversation"))
        act(conv, self.tr("&Search"), self.focus_search, QKeySequence.StandardKey.Find)
        act(conv, self.tr("&Rename…"), self.rename_current, "F2")
        act(conv, self.tr("&Delete"), self.delete_current)
        act(conv, self.tr("&Attach files…"), self.ask_attach, "Ctrl+Shift+A")
        act(conv, self.tr("Se&ttings…"), self.edit_conversation_settings)
        act(conv, self.tr("&Stop answering"), self.controller.stop, "Esc")
        view = self.menuBar().addMenu(self.tr("&View"))
        act(
            view,
            self.tr("&Bigger text"),
            lambda: self.apply_font_size(self.settings.font_size + 1),
            QKeySequence.StandardKey.ZoomIn,
        )
        view.actions()[-1].setShortcuts([QKeySequence("Ctrl++"), QKeySequence("Ctrl+=")])
        act(
            view,
            self.tr("&Smaller text"),
            lambda: self.apply_font_size(self.settings.font_size - 1),
            QKeySequence.StandardKey.ZoomOut,
        )
        act(view, self.tr("&Normal text"), lambda: self.apply_font_size(11), "Ctrl+0")
        theme = view.addMenu(self.tr("&Theme (applies at restart)"))
        themes = {"system": self.tr("System"), "light": self.tr("Light"), "dark": self.tr("Dark")}
        theme_group = QActionGroup(self)  # one theme ticked at a time
        for name, label in themes.items():
            a = act(theme, label, lambda _=False, n=name: self.settings.set("theme", n))
            a.setCheckable(True)
            a.setChecked(self.settings.get("theme") == name)
            a.setData(name)
            theme_group.addAction(a)
        self.language_menu = view.addMenu(self.tr("&Language (applies at restart)"))
        group = QActionGroup(self)
        for code in language.CHOICES:
            label = self.tr("System") if code == "system" else language.NATIVE_NAMES[code]
            a = act(self.language_menu, label, lambda _=False, c=code: self.set_language(c))
            a.setCheckable(True)
            a.setChecked(self.settings.get("language") == code)
            a.setData(code)
            group.addAction(a)
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        about = act(help_menu, self.tr("&About QwenDesk"), self.show_about)
        about.setMenuRole(QAction.MenuRole.AboutRole)

    def _connect(self) -> None:
        c = self.controller
        self.conversations.selected.connect(self.open_conversation)
        self.conversations.new_requested.connect(self.new_conversation)
        self.conversations.rename_requested.connect(self._rename)
        self.conversations.delete_requested.connect(self.delete_conversation)
        self.conversations.search_changed.connect(lambda _t: self.refresh_list())
        c.conversation_changed.connect(self._on_conversation_changed)
        c.answering_changed.connect(self._on_answering)
        c.notice.connect(lambda text: self.statusBar().showMessage(text, 15_000))
        c.choose_model_requested.connect(self.open_model_manager)
        c.engine_changed.connect(self._on_engine_changed)
        self.composer.model_change_requested.connect(self.open_model_manager)
        self.composer.attach_requested.connect(self.ask_attach)
        c.attach_failed.connect(self.composer.add_attach_error)
        c.attach_failed.connect(lambda text: self.statusBar().showMessage(text, 15_000))
        self.bridge.loaded.connect(lambda r: self.settings.set("last_model", str(r.info.path)))
        c.engine_failed.connect(lambda _error: self.update_welcome())
        self.composer.send_requested.connect(lambda _text: self.update_welcome())

    def update_welcome(self) -> None:
        """The welcome panel while nothing can answer and the conversation on screen is empty."""
        c = self.controller
        idle = not self.bridge.ready and not c.model_loading and not c.connecting
        self.chat_area.show_welcome(idle and not self.view.messages)

    def _wire_welcome(self, panel: WelcomePanel) -> None:
        panel.download_finished.connect(lambda path: self._use_model(path, None))
        panel.load_requested.connect(lambda path: self._use_model(path, None))
        panel.open_gguf_requested.connect(self.choose_model)
        panel.connect_requested.connect(self.open_remote_dialog)
        panel.prompt_chosen.connect(self._use_example)

    def _use_example(self, text: str) -> None:
        self.composer.input.setPlainText(text)
        self.composer.input.setFocus()

    # ------------------------------------------------------- conversations

    def refresh_list(self) -> None:
        query = self.conversations.search.text().strip()
        items = self.store.search(query) if query else self.store.list_conversations()
        current = self.controller.conversation.id if self.controller.conversation else None
        self.conversations.set_conversations(items, current)

    def open_conversation(self, cid: int) -> None:
        if self.controller.answering:
            return
        self.controller.open(cid)
        self.update_welcome()
        query = self.conversations.search.text().strip()
        if query:  # opened from search results: go to the first message that matches
            hits = self.store.matching_messages(cid, query)
            if hits:
                self.controller.show_message(hits[0])
        self.refresh_list()
        self._show_header()

    def new_conversation(self) -> None:
        if self.controller.answering:
            return
        self.controller.new_conversation()
        self.update_welcome()
        self.refresh_list()
        self._show_header()
        self.composer.input.setFocus()

    def _on_conversation_changed(self, cid: int) -> None:
        if self.controller.current.id == cid:
            self.controller.current.refresh()
        self.refresh_list()
        self._show_header()

    def _show_header(self) -> None:
        conv = self.controller.conversation
        self.title.setText(conv.title if conv else self.tr("New chat"))
        mode = self.bridge.think_mode
        if mode == "never":
            self.mode_badge.setText(self.tr("No thinking (model)"))
        elif mode == "always":
            self.mode_badge.setText(self.tr("Always thinks (model)"))
        else:
            think = conv.think if conv else self.composer.wants_think
            self.mode_badge.setText(self.tr("Thinking on") if think else self.tr("Thinking off"))
        remote = conv.remote if conv else None
        self.remote_badge.setVisible(remote is not None)
        if remote is not None:
            self.remote_badge.setText(self.tr("Remote: {host}").format(host=remote))
            self.remote_badge.setToolTip(
                self.tr("Turns of this conversation were sent to {host}, outside this computer.").format(
                    host=remote
                )
            )
        self.settings_button.setEnabled(conv is not None)
        self.setWindowTitle(f"{conv.title} — QwenDesk" if conv else "QwenDesk")

    def _on_answering(self, answering: bool) -> None:
        self.conversations.setEnabled(not answering)

    def focus_search(self) -> None:
        self.conversations.search.setFocus()
        self.conversations.search.selectAll()

    def rename_current(self) -> None:
        conv = self.controller.conversation
        if conv is not None:
            self.conversations.ask_rename(conv.id, conv.title)

    def _rename(self, cid: int, title: str) -> None:
        self.store.rename(cid, title)
        self._on_conversation_changed(cid)

    def delete_current(self) -> None:
        if self.controller.conversation is not None:
            self.delete_conversation(self.controller.conversation.id)

    def delete_conversation(self, cid: int) -> None:
        if self.controller.answering:
            return
        conv = self.store.get_conversation(cid)
        self._undo_expired()
        self.store.delete(cid)
        self.speed.forget(cid)
        self._deleted = cid
        if self.controller.conversation and self.controller.conversation.id == cid:
            self.controller.current.conversation = None
            self.view.clear()
        self.refresh_list()
        ids = self.conversations.ids()
        if self.controller.conversation is None and ids:
            self.open_conversation(ids[0])
        self._show_header()
        self.statusBar().showMessage(self.tr("Deleted “{title}”.").format(title=conv.title), UNDO_MS)
        self.undo_button.show()
        self._undo_timer.start()

    def _undo_delete(self) -> None:
        if self._deleted is None:
            return
        cid, self._deleted = self._deleted, None
        self.store.undelete(cid)
        self.undo_button.hide()
        self.statusBar().clearMessage()
        self.refresh_list()
        self.open_conversation(cid)
        self.refresh_list()

    def _undo_expired(self) -> None:
        self.undo_button.hide()
        self._deleted = None

    def edit_conversation_settings(self) -> None:
        conv = self.controller.conversation
        if conv is None:
            return
        dialog = ConversationSettingsDialog(conv, self)
        if dialog.exec():
            prompt, sampling = dialog.values()
            self.controller.current.update(
                system_prompt=prompt, sampling=sampling, tool_rounds=dialog.tool_rounds(), touch=False
            )

    # --------------------------------------------------------------- model

    def open_model_manager(self) -> ModelManager:
        """The model manager (one at a time): list, download, import, and pick a model."""
        if self.model_manager is None or not self.model_manager.isVisible():
            self.model_manager = ModelManager(self, self.settings)
            self.model_manager.model_chosen.connect(self._use_model)
        self.model_manager.show()
        self.model_manager.raise_()
        return self.model_manager

    def _use_model(self, path: str, options: object) -> None:
        self.controller.load_model(path, options if isinstance(options, LoadOptions) else None)
        self.update_welcome()

    def choose_model(self) -> None:
        start = str(Path(self.bridge.model_path).parent) if self.bridge.model_path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose a Qwen3 GGUF"), start, self.tr("GGUF models (*.gguf)")
        )
        if path:
            self.controller.load_model(path)
            self.update_welcome()

    def edit_load_settings(self, path: str | None = None) -> LoadSettingsDialog | None:
        """Load settings of ``path`` (default: the model in use); Load saves them and reloads."""
        path = path or self.bridge.model_path
        if not path:
            self.statusBar().showMessage(
                self.tr("Choose a model first: load settings are kept per model."), 10_000
            )
            return None
        dialog = open_load_settings(self, path, self.settings)
        if dialog is not None:
            dialog.accepted.connect(lambda: self.controller.load_model(path, dialog.options()))
            dialog.open()
        return dialog

    def open_remote_dialog(self) -> RemoteDialog:
        """Connect to an OpenAI-compatible server (vLLM, SGLang, llama-server, Ollama)."""
        from app.ui.remote_dialog import RemoteDialog  # HTTP client and keyring: loaded when asked for

        dialog = RemoteDialog(self)
        dialog.connect_requested.connect(self.controller.connect_remote)
        dialog.notice.connect(lambda text: self.statusBar().showMessage(text, 15_000))
        # It stays open while connecting: closes when the server answered, shows why if not.
        self.controller.engine_changed.connect(dialog.on_connected)
        self.controller.engine_failed.connect(dialog.on_failed)

        def done(_result: int) -> None:
            self.controller.engine_changed.disconnect(dialog.on_connected)
            self.controller.engine_failed.disconnect(dialog.on_failed)

        dialog.finished.connect(done)
        dialog.open()
        return dialog

    def _on_engine_changed(self) -> None:
        self.update_welcome()
        self.use_local_action.setEnabled(
            self.bridge.remote is not None and self.bridge.model_path is not None
        )
        self._show_header()  # the badge says what the model in use does with thinking
        remote = self.bridge.remote
        if remote is not None:
            self.statusBar().showMessage(
                self.tr("Connected to {host}: answers come from {model} there.").format(
                    host=remote.endpoint.host, model=remote.model
                ),
                15_000,
            )

    def start_tools(self) -> None:
        """The MCP servers the user enabled earlier start now; their tools reach the next turn."""
        self.window_tools.start_enabled()
        self.window_tools.attach(self.controller.tools)

    def open_tools_dialog(self) -> object:
        """Tools (MCP servers): those of mcp.json, enabled one by one, with their state."""
        return self.window_tools.open_dialog(self, self.controller.tools)

    def open_speed_dialog(self) -> object:
        """Kept readings of conversations (disk, memory, usage), and when documents are read whole."""
        return self.speed.open_dialog(self)

    def open_api_server_dialog(self) -> ApiServerDialog:
        """Switch the local API server on or off, and see its address."""
        dialog = ApiServerDialog(self.api_server, self)
        dialog.open()
        return dialog

    def show_about(self) -> AboutDialog:
        """Name, version, llama.cpp and Qt versions, and the privacy statement."""
        dialog = AboutDialog(self)
        dialog.open()
        return dialog

    # ----------------------------------------------------------- documents

    def ask_attach(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Attach documents"), str(Path.home()), file_filter()
        )
        self.controller.attach_files(paths)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_files(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """Documents are attached to the open conversation; a .gguf goes to the model manager."""
        files = local_files(event.mimeData())
        models = [f for f in files if f.lower().endswith(".gguf")]
        for path in models:
            self.open_model_manager().import_file(path)
        self.controller.attach_files([f for f in files if f not in models])
        event.acceptProposedAction()

    # -------------------------------------------------------------- export

    def export_current(self) -> None:
        conv = self.controller.conversation
        path = ask_export_path(self, conv) if conv is not None else None
        if path is not None:
            self.export_to(path)

    def export_to(self, path: Path) -> None:
        conv = self.controller.conversation
        assert conv is not None
        self.statusBar().showMessage(export_conversation(self.store, conv, path), 10_000)

    # ------------------------------------------------------------ settings

    def show_interrupted(self, count: int) -> None:
        """Say that ``count`` answers were cut off when the app last stopped (at start-up)."""
        self.statusBar().showMessage(
            self.tr(
                "%n answer(s) were interrupted when QwenDesk last stopped; what had been written is kept.",
                "",
                count,
            ),
            15_000,
        )

    def set_language(self, code: str) -> None:
        """Save the language choice (system, en, zh_CN); the window is rebuilt in it at the next start."""
        self.settings.set("language", code)
        self.statusBar().showMessage(self.tr("The language changes when QwenDesk is restarted."), 10_000)

    def apply_font_size(self, points: int) -> None:
        self.settings.font_size = points
        font = self.view.font()
        font.setPointSize(self.settings.font_size)
        self.view.setFont(font)
        self.composer.input.setFont(font)

    def _restore_geometry(self) -> None:
        geometry = self.settings.get("window/geometry")
        if geometry:
            self.restoreGeometry(geometry)
        else:
            self.resize(1100, 760)
        splitter = self.settings.get("window/splitter")
        if splitter:
            self.splitter.restoreState(splitter)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.set("window/geometry", self.saveGeometry())
        self.settings.set("window/splitter", self.splitter.saveState())
        self.settings.sync()
        if self.model_manager is not None:
            self.model_manager.close()
        self.controller.stop()
        self.chat_area.shutdown()
        self.window_tools.close()
        self.controller.preparer.shutdown()
        self.api_server.stop()
        self.bridge.shutdown()
        self.controller.abandon_turn()
        self.store.purge_deleted()
        super().closeEvent(event)
