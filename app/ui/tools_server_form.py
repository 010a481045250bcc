"""The parts of Settings → Tools: a server's row in the list, its fields (Add…/Edit…), "Paste JSON…".

Both stay open on invalid input: ``submit`` (given by the Tools dialog) saves and returns None, or
returns the sentence to show (a ConfigError's text), and the fields keep what the user typed.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.tools.config import ConfigError, ServerConfig, parse_entry
from app.tools.results import ServerState
from app.tools.state import ToolsState
from app.ui.theme import show_as_error

if TYPE_CHECKING:
    from app.ui.tools_dialog import ToolsDialog

# (the server, header values for the keyring) -> an error to show, or None once saved
SubmitServer = Callable[[ServerConfig, dict[str, str]], str | None]
SubmitPaste = Callable[[list[ServerConfig]], str | None]


def parse_pasted(text: str, name: str = "") -> list[ServerConfig]:
    """A whole ``{"mcpServers": …}`` document, a bare map of servers, or one server's entry (named
    ``name``); also a ``"name": {…}`` fragment cut out of a file. Raises ConfigError."""
    text = text.strip()
    if not text:
        raise ConfigError('Paste a JSON object: {"mcpServers": {…}} or one server\'s entry.')
    try:
        raw: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        try:  # "name": {…} copied out of someone's mcp.json
            raw = json.loads("{" + text.rstrip(",") + "}")
        except json.JSONDecodeError:
            raise ConfigError(
                f"This is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
            ) from None
    if not isinstance(raw, dict):
        raise ConfigError('The JSON must be an object: {"mcpServers": {…}} or one server\'s entry.')
    if "command" in raw or "url" in raw:
        if not name.strip():
            raise ConfigError("This is one server's entry: give it a name.")
        return [parse_entry(name.strip(), raw)]
    servers = raw.get("mcpServers", raw)
    if not isinstance(servers, dict) or not servers:
        raise ConfigError('No servers found: expected {"mcpServers": {"name": {"command": …}}}.')
    return [parse_entry(n, entry) for n, entry in servers.items()]


def _pairs(text: str, sep: str, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        key, found, value = line.partition(sep)
        if not found or not key.strip():
            raise ConfigError(f'{what}, line {number}: write it as NAME{sep}value ("{line.strip()[:60]}").')
        out[key.strip()] = value.strip()
    return out


def _status_label() -> QLabel:
    label = QLabel()
    label.setObjectName("toolsFormStatus")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    show_as_error(label, True)
    label.hide()
    return label


class ServerForm(QDialog):
    """Add or edit one server. ``secret_headers``: the header values the keyring holds for it."""

    def __init__(
        self,
        submit: SubmitServer,
        server: ServerConfig | None = None,
        secret_headers: dict[str, str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("toolsServerForm")
        self.setWindowTitle(self.tr("Edit tool server") if server else self.tr("Add a tool server"))
        self.setMinimumWidth(480)
        self._submit = submit
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("e.g. files"))
        self.kind = QComboBox()
        self.kind.addItem(self.tr("A program on this computer (stdio)"), "stdio")
        self.kind.addItem(self.tr("A URL (streamable HTTP)"), "http")
        self.command = QLineEdit()
        self.command.setPlaceholderText(self.tr("e.g. npx or /usr/bin/python3"))
        self.args = QPlainTextEdit()
        self.args.setPlaceholderText(self.tr("One argument per line"))
        self.env = QPlainTextEdit()
        self.env.setPlaceholderText(self.tr("KEY=VALUE, one per line"))
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://example.com/mcp")
        self.headers = QPlainTextEdit()
        self.headers.setPlaceholderText(self.tr("Name: value, one per line (e.g. Authorization: Bearer …)"))
        for box in (self.args, self.env, self.headers):
            box.setTabChangesFocus(True)
            box.setMaximumHeight(90)
        stdio, http = QWidget(), QWidget()
        stdio_form, http_form = QFormLayout(stdio), QFormLayout(http)
        stdio_form.setContentsMargins(0, 0, 0, 0)
        http_form.setContentsMargins(0, 0, 0, 0)
        stdio_form.addRow(self.tr("Command:"), self.command)
        stdio_form.addRow(self.tr("Arguments:"), self.args)
        stdio_form.addRow(self.tr("Environment:"), self.env)
        http_form.addRow(self.tr("URL:"), self.url)
        http_form.addRow(self.tr("Headers:"), self.headers)
        keyring_note = QLabel(self.tr("Header values are kept in the system keyring, not in mcp.json."))
        keyring_note.setObjectName("toolsNote")
        keyring_note.setWordWrap(True)
        http_form.addRow("", keyring_note)
        self.pages = QStackedWidget()
        self.pages.addWidget(stdio)
        self.pages.addWidget(http)
        self.kind.currentIndexChanged.connect(self.pages.setCurrentIndex)
        form = QFormLayout()
        form.addRow(self.tr("Name:"), self.name)
        form.addRow(self.tr("Kind:"), self.kind)
        self.status = _status_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.pages)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        if server is not None:
            self.name.setText(server.name)
            self.name.setReadOnly(True)
            if server.command is not None:
                self.command.setText(server.command)
                self.args.setPlainText("\n".join(server.args))
                self.env.setPlainText("\n".join(f"{k}={v}" for k, v in server.env.items()))
            else:
                self.kind.setCurrentIndex(1)
                self.url.setText(server.url or "")
                shown = {**server.headers, **(secret_headers or {})}
                self.headers.setPlainText("\n".join(f"{k}: {v}" for k, v in shown.items()))

    def server(self) -> tuple[ServerConfig, dict[str, str]]:
        """The server the fields describe, and the header values for the keyring; raises ConfigError."""
        name = self.name.text().strip()
        if self.kind.currentData() == "stdio":
            entry: dict[str, Any] = {
                "command": self.command.text().strip(),
                "args": [a for a in self.args.toPlainText().splitlines() if a.strip()],
                "env": _pairs(self.env.toPlainText(), "=", "Environment"),
            }
            return parse_entry(name, entry), {}
        headers = _pairs(self.headers.toPlainText(), ":", "Headers")
        return parse_entry(name, {"url": self.url.text().strip()}), headers

    def save(self) -> None:
        try:
            server, headers = self.server()
        except ConfigError as exc:
            self.show_error(str(exc))
            return
        error = self._submit(server, headers)
        if error:
            self.show_error(error)
        else:
            self.accept()

    def show_error(self, text: str) -> None:
        self.status.setText(text)
        self.status.show()


class PasteDialog(QDialog):
    """Paste mcpServers JSON from Claude Desktop, Cursor or LM Studio; every server or none is added."""

    def __init__(self, submit: SubmitPaste, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("toolsPasteDialog")
        self.setWindowTitle(self.tr("Paste tool servers"))
        self.setMinimumSize(520, 360)
        self._submit = submit
        hint = QLabel(
            self.tr(
                "Paste the “mcpServers” JSON from Claude Desktop, Cursor or LM Studio, or one "
                "server's entry. Pasted servers are added switched off."
            )
        )
        hint.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setObjectName("pastedJson")
        self.text.setPlaceholderText('{"mcpServers": {"files": {"command": "npx", "args": ["…"]}}}')
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("only needed for a single server's entry"))
        form = QFormLayout()
        form.addRow(self.tr("Name:"), self.name)
        self.status = _status_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        add = self.buttons.addButton(self.tr("Add"), QDialogButtonBox.ButtonRole.AcceptRole)
        add.setProperty("primary", True)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.text, 1)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    def save(self) -> None:
        try:
            servers = parse_pasted(self.text.toPlainText(), self.name.text())
        except ConfigError as exc:
            self.show_error(str(exc))
            return
        error = self._submit(servers)
        if error:
            self.show_error(error)
        else:
            self.accept()

    def show_error(self, text: str) -> None:
        self.status.setText(text)
        self.status.show()


class ServerRow(QFrame):
    """One server: name and Enabled, what runs, its state, trust, stderr of a failed program."""

    def __init__(self, dialog: ToolsDialog, cfg: ServerConfig) -> None:
        super().__init__()
        self.setObjectName("serverRow")
        self.cfg = cfg
        what = shlex.join([cfg.command, *cfg.args]) if cfg.command is not None else cfg.url or ""
        self.enabled = QCheckBox(cfg.name)
        self.enabled.setObjectName("serverEnabled")
        self.enabled.setToolTip(self.tr("Enabled: start this server and offer its tools to the model"))
        self.kind = QLabel()
        self.kind.setObjectName("serverKind")
        self.kind.setToolTip(what)
        self.kind.setText(self.kind.fontMetrics().elidedText(what, Qt.TextElideMode.ElideMiddle, 330))
        self.state = QLabel()
        self.state.setObjectName("serverState")
        self.state.setWordWrap(True)
        self.state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stderr = QPlainTextEdit()
        self.stderr.setObjectName("serverStderr")
        self.stderr.setReadOnly(True)
        self.stderr.hide()
        self.trusted = QCheckBox(self.tr("Trusted: run its tools without asking"))
        self.trusted.setObjectName("serverTrusted")
        self.trust_note = QLabel()
        self.trust_note.setObjectName("trustNote")
        self.trust_note.setWordWrap(True)
        self.restart = QPushButton(self.tr("Restart"))
        self.edit = QPushButton(self.tr("Edit…"))
        self.remove = QPushButton(self.tr("Remove"))
        top = QHBoxLayout()
        top.addWidget(self.enabled)
        top.addWidget(self.kind, 1)
        actions = QHBoxLayout()
        actions.addWidget(self.trusted)
        actions.addStretch(1)
        for button in (self.restart, self.edit, self.remove):
            actions.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.state)
        layout.addWidget(self.stderr)
        layout.addLayout(actions)
        layout.addWidget(self.trust_note)
        self.enabled.toggled.connect(lambda on: dialog.set_enabled(cfg.name, on))
        self.trusted.toggled.connect(lambda on: dialog.set_trusted(cfg.name, on))
        self.restart.clicked.connect(lambda: dialog.restart(cfg.name))
        self.edit.clicked.connect(lambda: dialog.edit_server(cfg.name))
        self.remove.clicked.connect(lambda: dialog.remove_server(cfg.name))

    def show_flags(self, state: ToolsState, dropped: bool) -> None:
        for box, on in (
            (self.enabled, state.is_enabled(self.cfg.name)),
            (self.trusted, state.is_trusted(self.cfg)),
        ):
            box.blockSignals(True)
            box.setChecked(on)
            box.blockSignals(False)
        self.restart.setEnabled(self.enabled.isChecked())
        if dropped:
            self.trust_note.setText(
                self.tr("No longer trusted: its command or URL changed. Tick Trusted again if you trust it.")
            )
        elif self.trusted.isChecked():
            self.trust_note.setText(self.tr("Its tools run without asking you first, with your permissions."))
        else:
            self.trust_note.setText("")
        self.trust_note.setProperty("warning", True)
        self.trust_note.setVisible(bool(self.trust_note.text()))

    def show_state(self, s: ServerState) -> None:
        if s.status == "ready":
            text = self.tr("ready · %n tool(s)", "", len(s.tools))
        elif s.status == "starting":
            text = self.tr("starting…")
        elif s.status == "failed":
            text = self.tr("failed: {reason}").format(reason=s.error or self.tr("unknown reason"))
        else:
            text = self.tr("stopped")
        self.state.setText(text)
        self.state.setProperty("status", s.status)
        show_as_error(self.state, s.status == "failed")
        tail = "\n".join(s.stderr_tail)
        show_tail = s.status == "failed" and self.cfg.command is not None and bool(tail.strip())
        if show_tail and self.stderr.toPlainText() != tail:
            self.stderr.setPlainText(tail)
            lines = min(len(s.stderr_tail), 6)  # up to six lines tall, then it scrolls
            self.stderr.setFixedHeight(lines * self.stderr.fontMetrics().lineSpacing() + 14)
        self.stderr.setVisible(show_tail)
