"""The collapsible pane that shows a turn's reasoning.

Expanded and streaming while the model thinks ("Thinking… 12 s"), collapsed
when the answer starts ("Thought for 12 s · 842 tokens"); a click toggles it
and the choice is remembered per message by whoever listens to ``toggled``.

Signals:
    toggled(bool): the user expanded (True) or collapsed (False) the pane.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QFrame, QPlainTextEdit, QSizePolicy, QToolButton, QVBoxLayout, QWidget


class _AutoHeightText(QPlainTextEdit):
    """Read-only plain text that grows with its content instead of scrolling."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def _fit(self, size: QSize | None = None) -> None:
        # The blocks' laid-out heights, not lines × the font's line spacing: a line with Chinese
        # text is taller (its glyphs come from a CJK fallback font) and would be cut off.
        layout = self.document().documentLayout()
        text_height = 0.0
        block = self.document().begin()
        while block.isValid():
            text_height += layout.blockBoundingRect(block).height()
            block = block.next()
        height = int(text_height + 2 * self.document().documentMargin() + 4)
        self.setFixedHeight(max(height, self.fontMetrics().lineSpacing() + 8))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()


class ReasoningPane(QWidget):
    toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QToolButton(self)
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setAutoRaise(True)
        self.header.setCheckable(True)
        self.header.clicked.connect(self._on_click)
        self.body = _AutoHeightText(self)
        self.body.setObjectName("reasoning")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.header, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.body)
        self.thinking = False
        self._label = ""
        self.set_expanded(True)

    # ------------------------------------------------------------------ state

    @property
    def expanded(self) -> bool:
        return self.header.isChecked()

    def set_expanded(self, expanded: bool) -> None:
        self.header.setChecked(expanded)
        self.header.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.body.setVisible(expanded)

    def _on_click(self, checked: bool) -> None:
        self.set_expanded(checked)
        self.toggled.emit(checked)

    # -------------------------------------------------------------- content

    def start(self) -> None:
        self.thinking = True
        self.set_expanded(True)
        self.show_elapsed(0)

    def show_elapsed(self, seconds: float) -> None:
        self._set_label(self.tr("Thinking… {seconds} s").format(seconds=int(seconds)))

    def append(self, text: str) -> None:
        """Append streamed reasoning (cost proportional to the new text only)."""
        cursor = QTextCursor(self.body.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)

    def set_text(self, text: str) -> None:
        self.body.setPlainText(text)

    def text(self) -> str:
        return self.body.toPlainText()

    def finish(
        self, seconds: float | None, tokens: int | None, *, budget_hit: bool = False, unclosed: bool = False
    ) -> None:
        self.thinking = False
        if seconds is not None:
            parts = [self.tr("Thought for {seconds} s").format(seconds=round(seconds or 0))]
        else:
            parts = [self.tr("Thought")]
        if tokens:
            parts.append(self.tr("{tokens} tokens").format(tokens=f"{tokens:,}"))
        if budget_hit:
            parts.append(self.tr("thinking budget reached"))
        if unclosed:
            parts.append(self.tr("stopped while thinking"))
        self._set_label(" · ".join(parts))

    def label(self) -> str:
        return self._label

    def _set_label(self, text: str) -> None:
        self._label = text
        self.header.setText(text)
