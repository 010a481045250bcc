"""“Reading the conversation… 3,072 / 12,288 tokens”: a long prompt being read, where the answer will be.

On a CPU a long conversation or a document can take the engine seconds to minutes to read before
the first token; the engine reports its reading batch by batch (``PromptProgress``). The line shows
only once reading has gone on for ``SHOW_AFTER_S`` (a short prompt never flickers), moves with each
batch, and goes when the first reasoning or answer text arrives or the turn ends. Events only
store the latest count; the controller's paint timer draws it (``StreamedTurn.paint``).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QLabel, QProgressBar, QVBoxLayout, QWidget

from app.backend.protocol import PromptProgress
from app.ui.message_widget import MessageWidget

SHOW_AFTER_S = 1.0  # reading shorter than this is not worth a line
BAR_WIDTH = 320


def reading_text(progress: PromptProgress, documents: int) -> str:
    """What is being read, and how far: the documents when the turn carries some."""
    if documents > 1:
        text = QCoreApplication.translate("PromptReading", "Reading the documents… {done} / {total} tokens")
    elif documents == 1:
        text = QCoreApplication.translate("PromptReading", "Reading the document… {done} / {total} tokens")
    else:
        text = QCoreApplication.translate(
            "PromptReading", "Reading the conversation… {done} / {total} tokens"
        )
    return text.format(done=f"{progress.done:,}", total=f"{progress.total:,}")


class ReadingLine(QFrame):
    """The line and a thin bar, in the muted text colour (the window's palette, light or dark)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("promptReading")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 0, 6)  # in line with the answer's text
        layout.setSpacing(5)
        self.label = QLabel(self)
        self.label.setObjectName("promptReadingText")
        palette = self.label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, palette.color(QPalette.ColorRole.PlaceholderText))
        self.label.setPalette(palette)
        self.bar = QProgressBar(self)
        self.bar.setObjectName("promptReadingBar")
        self.bar.setTextVisible(False)
        self.bar.setFixedSize(BAR_WIDTH, 4)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)

    def show_progress(self, progress: PromptProgress, documents: int) -> None:
        self.label.setText(reading_text(progress, documents))
        if progress.cached:
            self.label.setToolTip(
                QCoreApplication.translate(
                    "PromptReading", "{cached} tokens before these were kept from earlier: not read again."
                ).format(cached=f"{progress.cached:,}")
            )
        self.bar.setRange(0, max(1, progress.total))
        self.bar.setValue(min(progress.done, progress.total))


class PromptReading:
    """One turn's reading line: fed by events, painted by the timer, gone for good once text comes."""

    def __init__(self, widget: MessageWidget, documents: int = 0) -> None:
        self.widget = widget
        self.documents = documents  # how many documents the turn carries (0: the conversation only)
        self.progress: PromptProgress | None = None
        self.since: float | None = None  # when the first report came
        self.line: ReadingLine | None = None  # made when first shown
        self.over = False
        self._painted: PromptProgress | None = None

    @property
    def shown(self) -> bool:
        return self.line is not None and not self.over

    def add(self, progress: PromptProgress, now: float) -> None:
        if self.over:
            return
        if self.since is None:
            self.since = now
        self.progress = progress

    def paint(self, now: float) -> None:
        """Show the latest count once reading has gone on for SHOW_AFTER_S."""
        progress = self.progress
        if self.over or progress is None or self.since is None or now - self.since < SHOW_AFTER_S:
            return
        if self.line is None:
            self.line = ReadingLine(self.widget)
            layout = self.widget.layout()
            assert isinstance(layout, QVBoxLayout)
            layout.insertWidget(1, self.line)  # under the model's name, where the answer will begin
            self.line.show()
            if self.widget.reasoning is not None:
                self.widget.reasoning.hide()  # not "Thinking…" yet: it is reading
        if progress is not self._painted:
            self.line.show_progress(progress, self.documents)
            self._painted = progress

    def end(self) -> None:
        """Text arrived, or the turn ended: the line goes (a pane still thinking comes back)."""
        if self.over:
            return
        self.over = True
        if self.line is not None:
            self.line.hide()
            self.line.deleteLater()
            pane = self.widget.reasoning
            if pane is not None and pane.thinking:
                pane.show()
