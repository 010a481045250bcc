"""What answers: loading a local GGUF, connecting to a server, and saying which in the composer.

Signals:
    engine_changed(): what answers changed (a local model loaded, a server connected).
    engine_failed(Exception): a load or a connection failed while no turn was waiting.
    notice(str): something to show in the status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.backend.engine import LoadReport
from app.models.load_options import LoadOptions, engine_kwargs_for
from app.models.machine import Machine, probe_machine
from app.remote.endpoint import Endpoint
from app.ui.composer import Composer
from app.ui.engine_bridge import EngineBridge, Failure

if TYPE_CHECKING:
    from app.remote.engine import ConnectReport


class EngineControl(QObject):
    engine_changed = Signal()
    engine_failed = Signal(Exception)
    notice = Signal(str)

    def __init__(
        self,
        bridge: EngineBridge,
        composer: Composer,
        *,
        saved_options: Callable[[str], LoadOptions] = lambda _path: LoadOptions(),
        machine: Callable[[], Machine] = probe_machine,
    ) -> None:
        super().__init__()
        self.bridge, self.composer = bridge, composer
        self.saved_options, self.machine = saved_options, machine
        self.load_options = LoadOptions()  # those of the model loaded (or loading) now
        self.model_loading = False
        self.connecting = False
        self._loading_name = ""
        bridge.loaded.connect(self._on_loaded)
        bridge.load_progress.connect(self._on_load_progress)
        bridge.connected.connect(self._on_connected)
        composer.cancel_load_requested.connect(self.cancel_load)

    @property
    def busy(self) -> bool:
        """A load or a connection is under way (a turn sent now waits for it)."""
        return self.model_loading or self.connecting

    # ---------------------------------------------------------------- local

    def load_model(self, path: str, options: LoadOptions | None = None, *, n_ctx: int | None = None) -> None:
        """Load ``path`` with ``options`` (default: the ones saved for it), ``n_ctx`` overriding."""
        opts = options if options is not None else self.saved_options(path)
        if n_ctx is not None:
            opts = opts.with_context(n_ctx)
        self.load_options = opts
        self.model_loading = True
        self._loading_name = Path(path).stem
        self.composer.set_loading(self._loading_name, 0.0)
        # Automatic GPU layers need the header and a machine probe: done on the engine's thread.
        self.bridge.load(path, options=lambda: engine_kwargs_for(path, opts, self.machine))

    def cancel_load(self) -> None:
        """Stop a load (or a connection) in progress; the engine answers with a load_cancelled error."""
        if self.busy:
            self.bridge.cancel()

    def _on_load_progress(self, fraction: float) -> None:
        if self.model_loading:
            self.composer.set_loading(self._loading_name, fraction)

    def _on_loaded(self, report: LoadReport) -> None:
        self.model_loading = False
        self.composer.set_loading(None)
        self.show_engine()
        for n in report.notices:
            self.notice.emit(n.text)
        self.engine_changed.emit()

    def show_engine(self) -> None:
        """The composer names what answers now: the local model, or a model on a server."""
        remote = self.bridge.remote
        self.composer.set_think_mode(self.bridge.think_mode)
        if remote is not None:
            self.composer.set_model_name(remote.model, remote.endpoint.host)
        elif self.bridge.model_path:
            self.composer.set_model_name(Path(self.bridge.model_path).stem)
        else:
            self.composer.set_model_name(None)

    # --------------------------------------------------------------- remote

    def connect_remote(self, endpoint: Endpoint, model: str, api_key: str | None) -> None:
        """Answer from ``model`` on an OpenAI-compatible server from now on (once it answers)."""
        self.connecting = True
        self.composer.set_connecting(endpoint.host)
        from app.remote.engine import RemoteEngine  # its HTTP client is not needed at start-up

        self.bridge.connect_remote(lambda: RemoteEngine(endpoint, model or None, api_key))

    def use_local(self) -> None:
        """Back to the local model (if one is loaded) after a server."""
        self.bridge.use_local()
        self.show_engine()
        self.engine_changed.emit()

    def _end_connecting(self) -> None:
        self.connecting = False
        self.composer.set_loading(None)

    def _on_connected(self, report: ConnectReport) -> None:
        self._end_connecting()
        self.show_engine()
        for n in report.notices:
            self.notice.emit(n.text)
        self.engine_changed.emit()

    # -------------------------------------------------------------- failure

    def on_failed(self, error: Failure, *, turn_waiting: bool) -> None:
        """A bridge call failed: if it was a load or a connection, end it (a waiting turn says why)."""
        if not self.busy:
            return
        self.model_loading = False
        self._end_connecting()
        self.show_engine()
        if not turn_waiting:
            self.notice.emit(error.message)
            self.engine_failed.emit(error)
