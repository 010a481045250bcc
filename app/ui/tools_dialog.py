"""Settings → Tools: the MCP servers of mcp.json, switched on and off, trusted, added, edited, pasted.

The host reports changes on its own thread: ``on_change`` only emits a signal, delivered queued on
the GUI thread, where the rows are updated. Stopping a server can take seconds (a child given time
to exit), so stop and restart run on a short-lived thread; starting never waits. Every change to
mcp.json goes through app.tools.config and reaches the host at once (``set_servers``); a server
whose entry changed is restarted if it was running.

Signals:
    servers_changed(): mcp.json changed (added, edited, removed, pasted servers).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Collection
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.remote.keys import KeyringUnavailableError
from app.tools.config import ConfigError, ServerConfig, add_server, edit_server, load_config, remove_server
from app.tools.config import config_path as default_config_path
from app.tools.host import ToolHost
from app.tools.state import ToolsState
from app.ui.theme import show_as_error
from app.ui.tools_server_form import PasteDialog, ServerForm, ServerRow


class _Relay(QObject):
    changed = Signal(str)  # emitted on the host's thread, received queued on the GUI thread


def _in_background(work: Callable[[], object]) -> None:
    threading.Thread(target=work, name="qwendesk-tools-ui", daemon=True).start()


class ToolsDialog(QDialog):
    servers_changed = Signal()

    def __init__(
        self,
        host: ToolHost,
        state: ToolsState,
        parent: QWidget | None = None,
        *,
        config_path: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("toolsDialog")
        self.setWindowTitle(self.tr("Tools"))
        self.setMinimumSize(600, 440)
        self.host, self.tools_state = host, state
        self.path = config_path or default_config_path()
        self.rows: dict[str, ServerRow] = {}
        self.servers: dict[str, ServerConfig] = {}
        self.trust_dropped: set[str] = set()
        self.form: ServerForm | None = None
        self.paste_dialog: PasteDialog | None = None
        self.confirm: QMessageBox | None = None

        intro = QLabel(
            self.tr(
                "An enabled MCP server runs on this computer (or is reached over the network) with your "
                "permissions; QwenDesk asks before each call unless you trust the server."
            )
        )
        intro.setObjectName("toolsIntro")
        intro.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("toolsStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.hide()
        self.list = QWidget()
        self.list.setObjectName("serverList")
        self.list_layout = QVBoxLayout(self.list)
        self.list_layout.setContentsMargins(0, 0, 0, 0)
        self.empty = QLabel(
            self.tr("No tool servers yet. Add one, or paste the “mcpServers” JSON from another app.")
        )
        self.empty.setObjectName("toolsEmpty")
        self.empty.setWordWrap(True)
        scroll = QScrollArea()
        scroll.setObjectName("serverScroll")
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.list)
        self.add_button = QPushButton(self.tr("Add…"))
        self.add_button.setObjectName("addServer")
        self.add_button.clicked.connect(lambda: self.add_server())
        self.paste_button = QPushButton(self.tr("Paste JSON…"))
        self.paste_button.setObjectName("pasteServers")
        self.paste_button.clicked.connect(lambda: self.paste_servers())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.add_button)
        bottom.addWidget(self.paste_button)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.status)
        layout.addWidget(scroll, 1)
        layout.addLayout(bottom)

        self._relay = _Relay(self)
        self._relay.changed.connect(self._on_host_change)
        self._previous_listener = host.on_change
        host.on_change = self._host_changed
        self.finished.connect(lambda _r: self.detach())
        self.reload()

    # ------------------------------------------------------------ the host

    def _host_changed(self, name: str) -> None:  # the host's thread: only emit
        self._relay.changed.emit(name)
        if self._previous_listener is not None:
            self._previous_listener(name)

    def detach(self) -> None:
        """Give the host its previous listener back (done when the dialog closes)."""
        if self.host.on_change == self._host_changed:
            self.host.on_change = self._previous_listener

    def _on_host_change(self, name: str) -> None:
        if (row := self.rows.get(name)) is not None:
            row.show_state(self.host.state(name))

    # ------------------------------------------------------------ the list

    def reload(self, changed: Collection[str] = ()) -> None:
        """Read mcp.json, hand it to the host, drop stale trust, rebuild the rows; restart ``changed``."""
        loaded = load_config(self.path)
        self.servers = loaded.servers
        self.host.set_servers(loaded.servers)
        dropped = self.tools_state.drop_stale_trust(loaded.servers)
        if dropped:
            self.tools_state.save()
            self.trust_dropped.update(dropped)
        self._show_status("\n".join(loaded.errors), error=True)
        for row in self.rows.values():
            row.setParent(None)
            row.deleteLater()
        self.rows = {}
        self.empty.setParent(None)
        while self.list_layout.count():
            self.list_layout.takeAt(0)
        for name, cfg in sorted(loaded.servers.items()):
            row = ServerRow(self, cfg)
            self.rows[name] = row
            self.list_layout.addWidget(row)
            row.show_flags(self.tools_state, name in self.trust_dropped)
            row.show_state(self.host.state(name))
        if not self.rows:
            self.list_layout.addWidget(self.empty)
        self.list_layout.addStretch(1)
        for name in changed:
            status = self.host.state(name).status
            if status in ("starting", "ready") or (status == "failed" and self.tools_state.is_enabled(name)):
                self.restart(name)

    def _show_status(self, text: str, error: bool = False) -> None:
        show_as_error(self.status, error)
        self.status.setText(text)
        self.status.setVisible(bool(text))

    # ------------------------------------------------------------ per server

    def set_enabled(self, name: str, on: bool) -> None:
        self.tools_state.set_enabled(name, on)
        if on:
            self.host.start(name)  # wait_s=0: the state comes through on_change
        else:
            _in_background(lambda: self.host.stop(name))
        if (row := self.rows.get(name)) is not None:
            row.show_flags(self.tools_state, name in self.trust_dropped)
            row.show_state(self.host.state(name))

    def set_trusted(self, name: str, on: bool) -> None:
        if (cfg := self.servers.get(name)) is None:
            return
        self.tools_state.set_trusted(cfg, on)
        self.trust_dropped.discard(name)
        self.rows[name].show_flags(self.tools_state, False)

    def restart(self, name: str) -> None:
        _in_background(lambda: self.host.restart(name))

    # ------------------------------------------------------------ mcp.json

    def add_server(self) -> ServerForm:
        self.form = ServerForm(self._save_new, parent=self)
        self.form.open()
        return self.form

    def edit_server(self, name: str) -> ServerForm:
        cfg = self.servers[name]
        secrets: dict[str, str] = {}
        if cfg.url is not None and self.tools_state.flags(name).secret_headers:
            try:
                secrets = {k: v for k, v in self.tools_state.headers_for(cfg).items() if k not in cfg.headers}
            except KeyringUnavailableError as exc:
                self._show_status(exc.message, error=True)
        self.form = ServerForm(lambda new, headers: self._save_edit(cfg, new, headers), cfg, secrets, self)
        self.form.open()
        return self.form

    def paste_servers(self) -> PasteDialog:
        self.paste_dialog = PasteDialog(self._save_pasted, self)
        self.paste_dialog.open()
        return self.paste_dialog

    def remove_server(self, name: str) -> QMessageBox:
        self.confirm = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Remove tool server"),
            self.tr("Remove “{name}” from mcp.json? It is stopped first.").format(name=name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        self.confirm.accepted.connect(lambda: self._remove(name))
        self.confirm.open()
        return self.confirm

    def _remove(self, name: str) -> None:
        cfg = self.servers.get(name)
        try:
            remove_server(name, self.path)
        except (ConfigError, OSError) as exc:
            self._show_status(str(exc), error=True)
            return
        if cfg is not None:
            self._forget_secrets(cfg)
        self.tools_state.forget(name)
        self.trust_dropped.discard(name)
        _in_background(lambda: self.host.stop(name))
        self._changed()

    def _forget_secrets(self, cfg: ServerConfig, keep: Collection[str] = ()) -> None:
        for header in list(self.tools_state.flags(cfg.name).secret_headers):
            if header not in keep:
                with contextlib.suppress(KeyringUnavailableError):  # a broken keyring keeps nothing
                    self.tools_state.delete_secret_header(cfg, header)

    def _keep_headers(self, cfg: ServerConfig, headers: dict[str, str]) -> str | None:
        try:
            for header, value in headers.items():
                self.tools_state.set_secret_header(cfg, header, value)
        except KeyringUnavailableError as exc:
            return self.tr("The header values could not be kept in the system keyring: {why}").format(
                why=exc.message
            )
        return None

    def _save_new(self, cfg: ServerConfig, headers: dict[str, str]) -> str | None:
        if cfg.name in self.servers:
            return self.tr("A server named “{name}” already exists.").format(name=cfg.name)
        if error := self._keep_headers(cfg, headers):
            return error
        try:
            add_server(cfg, self.path)
        except (ConfigError, OSError) as exc:
            return str(exc)
        self._changed()
        return None

    def _save_edit(self, old: ServerConfig, cfg: ServerConfig, headers: dict[str, str]) -> str | None:
        if old.url is not None and old.url != cfg.url:
            self._forget_secrets(old)  # a token never follows a changed URL
        if cfg.url is not None:
            if error := self._keep_headers(cfg, headers):
                return error
            self._forget_secrets(cfg, keep=set(headers))
        try:
            edit_server(cfg, self.path)
        except (ConfigError, OSError) as exc:
            return str(exc)
        self._changed({cfg.name} if cfg != old or cfg.url is not None else ())  # headers are read at start
        return None

    def _save_pasted(self, servers: list[ServerConfig]) -> str | None:
        for cfg in servers:
            if cfg.name in self.servers:
                return self.tr(
                    "A server named “{name}” already exists: remove it first, or paste it under another name."
                ).format(name=cfg.name)
        try:
            for cfg in servers:
                add_server(cfg, self.path)
        except (ConfigError, OSError) as exc:
            self._changed()  # the ones added before the problem are listed
            return str(exc)
        self._changed()
        return None

    def _changed(self, restart: Collection[str] = ()) -> None:
        self.reload(restart)
        self.servers_changed.emit()
