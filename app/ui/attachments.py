"""Attaching files: extraction off the UI thread, and the chips that show attached files.

``AttachmentPreparer`` runs ``prepare_attachment`` (extract + chunk, pure and
CPU-bound) on its own worker thread (app.ui.background: the thread never
touches Qt; a main-thread timer delivers its results). Storing the
result is quick and done by the caller on the main thread, which owns the
database connection.

Signals (AttachmentPreparer):
    progress(str, float): file name, fraction done.
    prepared(int, object): conversation id, PreparedAttachment.
    failed(str, object): file path, DocumentError.
    busy_changed(bool): work started / all done.

Signals (ChipBar):
    remove_requested(int): an attachment's × was clicked.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from app.documents import DocumentError, human_size, prepare_attachment
from app.store.models import Attachment
from app.ui.background import BackgroundWorker, Post

log = logging.getLogger("qwendesk.ui.attachments")
DRAIN_MS = 30
KIND_TAGS = {"markdown": "MD", "code": "CODE", "text": "TXT"}  # else the kind in capitals
# What the attach dialog offers; anything else dropped is still tried (and refused clearly).
DOCUMENT_PATTERNS = (
    "*.pdf *.docx *.txt *.md *.markdown *.html *.htm *.csv *.json *.py *.js *.ts *.c *.cpp *.h "
    "*.java *.go *.rs *.rb *.sh *.toml *.yaml *.yml *.xml *.sql"
)


def file_filter() -> str:
    """The attach dialog's filter: "Documents (*.pdf …);;All files (*)", in the window's language."""
    documents = QCoreApplication.translate("Attachments", "Documents")
    everything = QCoreApplication.translate("Attachments", "All files")
    return f"{documents} ({DOCUMENT_PATTERNS});;{everything} (*)"


class AttachmentPreparer(BackgroundWorker):
    progress = Signal(str, float)
    prepared = Signal(int, object)
    failed = Signal(str, object)

    def __init__(self) -> None:
        super().__init__(ThreadPoolExecutor(max_workers=1, thread_name_prefix="qwendesk-documents"), DRAIN_MS)
        self._closing = False

    def prepare(self, conversation_id: int, path: str) -> None:
        """Extract and chunk ``path`` in the background for ``conversation_id``."""
        name = Path(path).name

        def work(post: Post) -> None:
            def on_progress(fraction: float) -> None:
                if self._closing:
                    raise _Closing  # prepare_attachment stops at the next page
                post("progress", (name, fraction))

            try:
                done = prepare_attachment(path, progress=on_progress)
                post("prepared", (conversation_id, done))
            except _Closing:
                pass
            except DocumentError as exc:
                post("failed", (path, exc))
            except Exception as exc:  # a bug in an extractor: still a clear "could not read"
                log.exception("preparing %s failed", path)
                post("failed", (path, DocumentError("corrupt", f"{name}: {exc}", file=name)))

        self._submit(work)

    def _deliver(self, kind: str, payload: Any) -> None:
        if kind == "progress":
            self.progress.emit(payload[0], payload[1])
        elif kind == "prepared":
            self.prepared.emit(payload[0], payload[1])
        elif kind == "failed":
            self.failed.emit(payload[0], payload[1])

    def shutdown(self) -> None:
        """The window is closing: stop reading at the next page, drop what is queued."""
        self._closing = True
        self._stop(cancel_futures=True)


class _Closing(Exception):
    pass


class AttachmentChip(QFrame):
    """One attached file: kind, name, pages, size, and × to remove it."""

    def __init__(self, attachment: Attachment, removable: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.attachment = attachment
        self.setObjectName("attachmentChip")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 1, 2, 1)
        row.setSpacing(2)
        self.label = QLabel(self.chip_text(attachment))
        tip = [attachment.name]
        if attachment.encoding:
            tip.append(self.tr("Text encoding: {encoding}").format(encoding=attachment.encoding))
        tip += list(attachment.warnings)
        self.label.setToolTip("\n".join(tip))
        row.addWidget(self.label)
        self.remove_button = QToolButton(self)
        self.remove_button.setText("×")
        self.remove_button.setAutoRaise(True)
        self.remove_button.setToolTip(self.tr("Remove this file: later answers will not use it"))
        self.remove_button.setVisible(removable)
        row.addWidget(self.remove_button)

    def chip_text(self, a: Attachment) -> str:
        """What the chip says: "PDF  report.pdf · 12 pages · 1.2 MB"."""
        count = a.pages  # a plain name: lupdate misses a %n call whose count is an attribute
        pages = " · " + self.tr("%n page(s)", "", count) if count else ""
        return f"{KIND_TAGS.get(a.kind, a.kind.upper())}  {a.name}{pages} · {human_size(a.size)}"


class ChipBar(QWidget):
    """A row of attachment chips (wrapping is left to the layout's width; files are few)."""

    remove_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(4)
        self._row.setAlignment(Qt.AlignmentFlag.AlignLeft)
        self.chips: list[AttachmentChip] = []
        self.hide()

    def set_attachments(self, attachments: list[Attachment], *, removable: bool = True) -> None:
        for chip in self.chips:
            self._row.removeWidget(chip)
            chip.deleteLater()
        self.chips = []
        for a in attachments:
            chip = AttachmentChip(a, removable, self)
            chip.remove_button.clicked.connect(lambda _=False, aid=a.id: self.remove_requested.emit(aid))
            self._row.addWidget(chip)
            self.chips.append(chip)
        self.setVisible(bool(attachments))
