"""The local API server switch: other apps on this computer use the loaded model over the
OpenAI API (``/v1/chat/completions``, ``/v1/models``), as ``qwendesk serve`` offers headless.

Off by default. On, it listens on 127.0.0.1 only; listening on the network is a second,
explicit choice that needs an API key (kept in the system keyring, never in the settings
file). The server shares the window's engine: the model loaded in the window is the one
served, and requests take turns with the window's own answers.
"""

from __future__ import annotations

import logging
import secrets

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.backend.shared_engine import SharedEngine
from app.server.http_server import ApiServer
from app.ui.settings import Settings
from app.ui.theme import show_as_error

log = logging.getLogger("qwendesk.ui.api_server")
KEY_ACCOUNT = "local-api-server"  # the keyring entry of the server's own API key


class ApiServerControl(QObject):
    """Starts and stops the window's ApiServer as the settings say.

    Signals:
        changed(): the server started, stopped or failed to start (see ``url`` and ``error``).
    """

    changed = Signal()

    def __init__(self, shared: SharedEngine, settings: Settings) -> None:
        super().__init__()
        self.shared, self.settings = shared, settings
        self.server: ApiServer | None = None
        self.error: str | None = None
        self._session_key: str | None = None  # when no keyring works: this session only

    @property
    def url(self) -> str | None:
        return self.server.url if self.server is not None else None

    def api_key(self) -> str | None:
        # keyring is imported here, not at start-up: the server is off unless switched on
        from app.remote.keys import KeyringUnavailableError, get_secret

        try:
            return get_secret(KEY_ACCOUNT) or self._session_key
        except KeyringUnavailableError:
            return self._session_key

    def set_api_key(self, key: str) -> str | None:
        """Keep the key; returns a warning when only this session can keep it (no keyring)."""
        from app.remote.keys import KeyringUnavailableError, set_secret

        self._session_key = key or None
        try:
            set_secret(KEY_ACCOUNT, key)
        except KeyringUnavailableError as exc:
            return exc.message
        return None

    def apply(self) -> None:
        """Start, restart or stop the server to match the settings."""
        self.stop(notify=False)
        self.error = None
        if self.settings.get("api_server/enabled"):
            network = bool(self.settings.get("api_server/allow_network"))
            try:
                server = ApiServer(
                    self.shared,
                    host="0.0.0.0" if network else "127.0.0.1",
                    port=int(self.settings.get("api_server/port")),
                    api_key=self.api_key(),
                    allow_network=network,
                )
                server.start()
            except Exception as exc:  # port in use, no key for the network, …: shown, not raised
                log.warning("local API server did not start: %s", exc)
                self.error = str(exc)
            else:
                self.server = server
        self.changed.emit()

    def stop(self, *, notify: bool = True) -> None:
        server, self.server = self.server, None
        if server is not None:
            server.shutdown()
        if notify:
            self.changed.emit()


class ApiServerDialog(QDialog):
    def __init__(self, control: ApiServerControl, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Local API server"))
        self.setMinimumWidth(480)
        self.control = control
        settings = control.settings
        intro = QLabel(
            self.tr(
                "Lets other apps on this computer use the model loaded in QwenDesk through the OpenAI "
                "API (/v1/chat/completions, /v1/models). Requests take turns with your own chats."
            )
        )
        intro.setWordWrap(True)
        self.enabled = QCheckBox(self.tr("Serve the loaded model"))
        self.enabled.setChecked(bool(settings.get("api_server/enabled")))
        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        self.port.setValue(int(settings.get("api_server/port")))
        self.network = QCheckBox(self.tr("Allow other devices on the network (needs an API key)"))
        self.network.setChecked(bool(settings.get("api_server/allow_network")))
        self.key = QLineEdit(control.api_key() or "")
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText(self.tr("none: only this computer can connect"))
        generate = QPushButton(self.tr("Generate"))
        generate.clicked.connect(lambda: self.key.setText(secrets.token_urlsafe(24)))
        show = QPushButton(self.tr("Show"))
        show.setCheckable(True)
        show.toggled.connect(
            lambda on: self.key.setEchoMode(QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password)
        )
        key_row = QHBoxLayout()
        key_row.addWidget(self.key, 1)
        key_row.addWidget(generate)
        key_row.addWidget(show)
        form = QFormLayout()
        form.addRow(self.enabled)
        form.addRow(self.tr("Port:"), self.port)
        form.addRow(self.network)
        form.addRow(self.tr("API key:"), key_row)
        self.status = QLabel()
        self.status.setObjectName("apiServerStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy = QPushButton(self.tr("Copy address"))
        self.copy.clicked.connect(self._copy)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Apply | QDialogButtonBox.StandardButton.Close
        )
        buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        buttons.rejected.connect(self.reject)
        self.enabled.toggled.connect(self._update_enabled)
        self.network.toggled.connect(self._update_enabled)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.copy)
        layout.addWidget(buttons)
        control.changed.connect(self._show_status)
        self._update_enabled()
        self._show_status()

    def _update_enabled(self) -> None:
        on = self.enabled.isChecked()
        self.port.setEnabled(on)
        self.network.setEnabled(on)

    def apply(self) -> None:
        """Save the choices and start, restart or stop the server."""
        if self.enabled.isChecked() and self.network.isChecked() and not self.key.text().strip():
            self.status.setText(self.tr("Listening on the network needs an API key: generate one first."))
            show_as_error(self.status, True)
            return
        warning = None
        if self.key.text().strip() != (self.control.api_key() or ""):
            warning = self.control.set_api_key(self.key.text().strip())
        settings = self.control.settings
        settings.set("api_server/enabled", self.enabled.isChecked())
        settings.set("api_server/port", self.port.value())
        settings.set("api_server/allow_network", self.network.isChecked())
        self.control.apply()
        if warning:
            self.status.setText(
                self.status.text()
                + "\n"
                + self.tr("The key is kept for this session only: {why}").format(why=warning)
            )

    def _show_status(self) -> None:
        control = self.control
        url = control.url
        if control.error:
            self.status.setText(self.tr("Not running: {error}").format(error=control.error))
            show_as_error(self.status, True)
        elif url:
            text = self.tr("Running at {url}").format(url=url)
            if control.settings.get("api_server/allow_network"):
                text += "\n" + self.tr("Listening on every network interface of this computer.")
            self.status.setText(text)
            show_as_error(self.status, False)
        else:
            self.status.setText(self.tr("Off."))
            show_as_error(self.status, False)
        self.copy.setEnabled(url is not None)

    def _copy(self) -> None:
        if self.control.url:
            QGuiApplication.clipboard().setText(self.control.url)
