"""Hub work for widgets, off the GUI thread: a survey (machine + listing) and downloads.

Shared by the model manager and the welcome panel so both list, download and
report progress the same way. The survey runs ``probe_machine`` and
``hub.list_catalog`` on a worker thread and a timer picks up the result; a
download runs in its own process (``app.models.download``) and a timer polls
it, so the window never waits on the network.

Signals:
    HubSurvey.ready(object, object): the Machine and the HubListing (or the EngineError).
    DownloadTask.progressed(object): a Progress while it runs.
    DownloadTask.ended(object): the last Progress ("done" or "failed"); pause() and cancel() are quiet.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, QTimer, Signal

from app.backend.errors import EngineError
from app.models import hub
from app.models.download import Download, Progress
from app.models.hub import GGUFEntry, HubListing
from app.models.labels import human_size
from app.models.machine import probe_machine

POLL_MS = 200
# A download's state as shown after its progress (source texts, translated when shown).
STATE_TEXT = {
    "idle": QT_TRANSLATE_NOOP("ModelManager", "idle"),
    "paused": QT_TRANSLATE_NOOP("ModelManager", "paused"),
    "done": QT_TRANSLATE_NOOP("ModelManager", "done"),
    "failed": QT_TRANSLATE_NOOP("ModelManager", "failed"),
    "cancelled": QT_TRANSLATE_NOOP("ModelManager", "cancelled"),
}


def progress_text(p: Progress) -> str:
    """ "1.2 GB of 5.0 GB · 12 MB/s · 5 min 3 s left" (the model manager's context keeps its translations)."""
    text = QCoreApplication.translate("ModelManager", "{done} of {total}").format(
        done=human_size(p.done_bytes), total=human_size(p.total_bytes)
    )
    if p.state == "running" and p.speed_bps > 0:
        text += " · " + QCoreApplication.translate("ModelManager", "{speed}/s").format(
            speed=human_size(p.speed_bps)
        )
        if p.eta_s is not None:
            text += " · " + QCoreApplication.translate("ModelManager", "{min} min {s} s left").format(
                min=int(p.eta_s // 60), s=int(p.eta_s % 60)
            )
    elif p.state != "running":
        shown = STATE_TEXT.get(p.state)
        text += f" · {QCoreApplication.translate('ModelManager', str(shown)) if shown else p.state}"
    if p.warning and p.state == "running":
        text += " · " + QCoreApplication.translate("ModelManager", "cannot resume if interrupted")
    return text


def entry_key(entry: GGUFEntry) -> str:
    return f"{entry.repo}:{entry.quant}"


def list_or_error() -> HubListing | EngineError:
    """The catalog listing (offline-marked when the Hub is unreachable), or the error it raised."""
    try:
        return hub.list_catalog()
    except EngineError as exc:
        return exc


def listing_without_network() -> HubListing:
    """What is known without asking the Hub: the saved listing, or every catalog model unlisted.

    The welcome panel starts with this: QwenDesk reaches the network only when the user asks
    (app.privacy), and opening the app is not asking.
    """
    cached = hub.load_cache()
    if cached is not None:
        return cached
    empty = tuple(hub.ModelListing(m.name, ()) for m in hub.CATALOG)
    return HubListing(empty, None, endpoint=hub.endpoint(), offline=True)


class HubSurvey(QObject):
    """Probe the machine and list the Hub on a worker thread; ``ready`` on the GUI thread."""

    ready = Signal(object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qwendesk-hub")
        self._pending: Future | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def running(self) -> bool:
        return self._pending is not None and not self._pending.done()

    def start(self, *, ask_hub: bool = True) -> bool:
        """Start a survey (``ask_hub`` False: what is known without the network); False (and nothing
        new) while one is still running."""
        if self.running:
            return False
        listing = list_or_error if ask_hub else listing_without_network
        self._pending = self._pool.submit(lambda: (probe_machine(), listing()))
        self._timer.start()
        return True

    def _poll(self) -> None:
        if self._pending is None or not self._pending.done():
            return
        future, self._pending = self._pending, None
        self._timer.stop()
        machine, listing = future.result()
        self.ready.emit(machine, listing)

    def shutdown(self) -> None:
        self._timer.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)


class DownloadTask(QObject):
    """One GGUF's download, polled by a timer: ``progressed`` while it runs, ``ended`` when done or failed."""

    progressed = Signal(object)
    ended = Signal(object)

    def __init__(self, entry: GGUFEntry, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.entry = entry
        self.download = Download.for_entry(entry)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def path(self) -> Path:
        """The file llama.cpp opens (the first part of a split model)."""
        return self.download.paths[0]

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        """Start or resume; raises the EngineError (a full disk) at once."""
        self.download.start()
        self._timer.start()

    def pause(self) -> None:
        """Stop now; the bytes so far stay on disk and the next start resumes."""
        self._timer.stop()
        self.download.pause()

    def cancel(self) -> None:
        """Stop and delete what was written."""
        self._timer.stop()
        self.download.cancel()

    def _poll(self) -> None:
        p = self.download.poll()
        self.progressed.emit(p)
        if p.state in ("done", "failed", "cancelled"):
            self._timer.stop()
            self.ended.emit(p)
