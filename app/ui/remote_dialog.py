"""Connect to a server: answers from an OpenAI-compatible endpoint (vLLM, SGLang, llama-server,
Ollama) instead of the local engine, for models too big for this computer (Qwen3-235B-A22B).

The dialog lists the server's models in the background, keeps saved servers (address, kind,
last model) and puts the API key in the system keyring. It stays open while connecting: it
closes once the server answered, and shows why when it did not. What is sent leaves the
computer, and the dialog says so before anything is.

Signals:
    connect_requested(Endpoint, str, object): endpoint, model, API key (str or None).
    notice(str): something to keep saying after the dialog closed (the key could not be kept).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.backend.errors import EngineError
from app.remote.client import RemoteClient
from app.remote.endpoint import Endpoint
from app.remote.endpoints import EndpointStore, SavedEndpoint
from app.remote.keys import KeyringUnavailableError, get_endpoint_key, set_endpoint_key
from app.remote.presets import PRESETS
from app.ui.background import BackgroundWorker, Post
from app.ui.theme import show_as_error


class ModelLister(BackgroundWorker):
    """GET /v1/models off the UI thread. Signals: listed(list), failed(str)."""

    listed = Signal(list)
    failed = Signal(str)

    def __init__(self) -> None:
        super().__init__(ThreadPoolExecutor(max_workers=1, thread_name_prefix="qwendesk-list"), 20)

    def list(self, endpoint: Endpoint, api_key: str | None) -> None:
        def work(post: Post) -> None:
            client = RemoteClient(endpoint, api_key)
            try:
                post("listed", client.list_models())
            finally:
                client.close()

        self._submit(work)

    def _failure(self, exc: Exception) -> object:
        return exc.message if isinstance(exc, EngineError) else f"{type(exc).__name__}: {exc}"

    def _deliver(self, kind: str, payload: Any) -> None:
        if kind == "listed":
            self.listed.emit(payload)
        elif kind == "failed":
            self.failed.emit(str(payload))

    def shutdown(self) -> None:
        self._stop(cancel_futures=True)


class RemoteDialog(QDialog):
    connect_requested = Signal(object, str, object)
    notice = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Connect to a server"))
        self.setMinimumWidth(520)
        self.store = EndpointStore()
        self._saved = self.store.load()
        self._waiting = False
        self._warning = ""

        self.saved_box = QComboBox()
        self.saved_box.setObjectName("savedServers")
        self.saved_box.addItem(self.tr("New server"), None)
        for item in self._saved:
            self.saved_box.addItem(f"{item.name} ({item.endpoint.base_url})", item.name)
        self.saved_box.currentIndexChanged.connect(self._on_saved_chosen)
        self.kind = QComboBox()
        for preset in PRESETS.values():
            label = self.tr("Other OpenAI-compatible server") if preset.name == "custom" else preset.label
            self.kind.addItem(label, preset.name)
        self.kind.currentIndexChanged.connect(self._on_kind_chosen)
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("e.g. GPU cluster"))
        self.address = QLineEdit()
        self.address.setObjectName("serverAddress")
        self.key = QLineEdit()
        self.key.setObjectName("serverKey")
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText(self.tr("optional"))
        self.remember = QCheckBox(self.tr("Keep the key in the system keyring"))
        self.remember.setChecked(True)
        self.model = QComboBox()
        self.model.setObjectName("serverModel")
        self.model.setEditable(True)
        self.list_button = QPushButton(self.tr("List models"))
        self.list_button.clicked.connect(self.list_models)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(self.list_button)
        form = QFormLayout()
        form.addRow(self.tr("Saved:"), self.saved_box)
        form.addRow(self.tr("Server:"), self.kind)
        form.addRow(self.tr("Name:"), self.name)
        form.addRow(self.tr("Address:"), self.address)
        form.addRow(self.tr("API key:"), self.key)
        form.addRow("", self.remember)
        form.addRow(self.tr("Model:"), model_row)
        privacy = QLabel(
            self.tr(
                "Your messages, and the text of documents you attach, are sent to this server: they "
                "leave this computer. Conversations answered there are marked “remote”."
            )
        )
        privacy.setObjectName("remotePrivacy")
        privacy.setWordWrap(True)
        # Without a tool parser the server sends calls back as text (QwenDesk reads that too), but
        # vLLM and SGLang refuse `tools` unless started with one.
        self.tools_hint = QLabel(
            self.tr(
                "Tools (MCP): start vLLM with --enable-auto-tool-choice --tool-call-parser hermes, "
                "SGLang with --tool-call-parser qwen25, for Qwen3 to call tools there."
            )
        )
        self.tools_hint.setObjectName("status")
        self.tools_hint.setWordWrap(True)
        self.tools_hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = QLabel()
        self.status.setObjectName("remoteStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.connect_button = self.buttons.addButton(
            self.tr("Connect"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.connect_button.setObjectName("connectButton")
        self.connect_button.clicked.connect(self.request_connect)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(privacy)
        layout.addWidget(self.tools_hint)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

        self.lister = ModelLister()
        self.lister.listed.connect(self._on_listed)
        self.lister.failed.connect(self._on_list_failed)
        self.finished.connect(lambda _r: self.lister.shutdown())
        if self._saved:
            self.saved_box.setCurrentIndex(1)  # the last used server first
        else:
            self._on_kind_chosen()
        if self.store.problem:
            self._show_error(self.store.problem)

    # ------------------------------------------------------------ fields

    def _on_kind_chosen(self) -> None:
        """A new kind proposes its usual address unless the user typed another one."""
        preset = PRESETS[str(self.kind.currentData())]
        defaults = {p.default_base_url for p in PRESETS.values()}
        if not self.address.text().strip() or self.address.text().strip() in defaults:
            self.address.setText(preset.default_base_url)

    def _on_saved_chosen(self) -> None:
        name = self.saved_box.currentData()
        item = next((e for e in self._saved if e.name == name), None)
        if item is None:
            self.name.clear()
            self.key.clear()
            self.model.clear()
            return
        ep = item.endpoint
        self.kind.setCurrentIndex(max(0, self.kind.findData(ep.preset)))
        self.name.setText(ep.name)
        self.address.setText(ep.base_url)
        self.model.clear()
        if item.last_model:
            self.model.addItem(item.last_model)
        try:
            self.key.setText(get_endpoint_key(ep.base_url) or "")
        except KeyringUnavailableError:
            self.key.clear()

    def endpoint(self) -> Endpoint:
        """The endpoint the fields describe; ValueError says what is wrong with the address."""
        address = self.address.text().strip()
        name = self.name.text().strip()
        return Endpoint.from_url(address, name=name, preset=str(self.kind.currentData()))

    def _api_key(self) -> str | None:
        return self.key.text().strip() or None

    # ------------------------------------------------------------ models

    def list_models(self) -> None:
        try:
            endpoint = self.endpoint()
        except ValueError as exc:
            self._show_error(str(exc))
            return
        self.list_button.setEnabled(False)
        self._show_info(self.tr("Asking {host} for its models…").format(host=endpoint.host))
        self.lister.list(endpoint, self._api_key())

    def _on_listed(self, models: list[Any]) -> None:
        self.list_button.setEnabled(True)
        current = self.model.currentText().strip()
        self.model.clear()
        for m in models:
            self.model.addItem(m.id)
        if current and self.model.findText(current) >= 0:
            self.model.setCurrentText(current)
        if not models:
            self._show_error(self.tr("The server lists no models."))
        else:
            self._show_info(self.tr("%n model(s) on this server.", "", len(models)))

    def _on_list_failed(self, message: str) -> None:
        self.list_button.setEnabled(True)
        self._show_error(message)

    # ----------------------------------------------------------- connect

    def request_connect(self) -> None:
        try:
            endpoint = self.endpoint()
        except ValueError as exc:
            self._show_error(str(exc))
            return
        model = self.model.currentText().strip()
        key = self._api_key()
        warning = ""
        if key and self.remember.isChecked():
            try:
                set_endpoint_key(endpoint.base_url, key)
            except KeyringUnavailableError as exc:
                warning = "\n" + self.tr("The key is used for this session only: {why}").format(
                    why=exc.message
                )
        try:
            self.store.put(SavedEndpoint(endpoint, model or None))
        except OSError as exc:  # not being able to save it must not stop the connection
            warning += "\n" + self.tr("The server could not be saved: {why}").format(why=exc)
        self._waiting = True
        self._warning = warning.strip()
        self.connect_button.setEnabled(False)
        self._show_info(self.tr("Connecting to {host}…").format(host=endpoint.host) + warning)
        self.connect_requested.emit(endpoint, model, key)

    def on_connected(self) -> None:
        if self._waiting:
            self._waiting = False
            if self._warning:
                self.notice.emit(self._warning)
            self.accept()

    def on_failed(self, error: object) -> None:
        if self._waiting:
            self._waiting = False
            self.connect_button.setEnabled(True)
            self._show_error(getattr(error, "message", str(error)))

    def _show_info(self, text: str) -> None:
        show_as_error(self.status, False)
        self.status.setText(text)

    def _show_error(self, text: str) -> None:
        show_as_error(self.status, True)
        self.status.setText(text)
