"""The collapsible pane that shows a turn's reasoning.

Expanded and streaming while the model thinks ("Thinking… 12 s"), collapsed
when the answer starts ("Thought for 12 s · 842 tokens"); a click toggles it
and the choice is remembered per message by whoever listens to ``toggled``.

A reasoning can be 32,000 tokens (about 100 pages), so the body is a box that
grows with its text up to a cap (about 16 lines while thinking, following the
end; about 28 once finished) and scrolls inside beyond it: it never pushes the
answer away, and its height costs only the newly added blocks, never a walk
over the whole text. A collapsed pane only keeps the text it is given and fills
its body when first expanded, so a conversation of folded panes costs nothing.

Signals:
    toggled(bool): the user expanded (True) or collapsed (False) the pane.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent, QTextCursor
from PySide6.QtWidgets import QFrame, QPlainTextEdit, QSizePolicy, QToolButton, QVBoxLayout, QWidget

STREAMING_LINES = 16  # the live "thinking" box
FINISHED_LINES = 28  # a finished reasoning, expanded


class _CappedText(QPlainTextEdit):
    """Read-only plain text as tall as its content up to ``cap_lines``, then scrolling inside.

    Heights are the blocks' laid-out heights, not lines × the font's line spacing: a line with
    Chinese text is taller (its glyphs come from a CJK fallback font) and would be cut off.
    Measuring stops at the cap, and QPlainTextEdit lays out lazily, so a long text past the cap
    is laid out only where it is shown.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cap_lines = FINISHED_LINES
        self.capped = False  # the content is taller than the cap: the box scrolls
        self._follow = True  # keep the end in view while text arrives, until the reader scrolls up
        self.verticalScrollBar().actionTriggered.connect(self._on_scroll_action)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)

    def set_cap(self, lines: int) -> None:
        if lines != self.cap_lines:
            self.cap_lines = lines
            self._fit()

    def replace_text(self, text: str) -> None:
        self._follow = True
        self.setPlainText(text)
        self._fit()

    def append_text(self, text: str) -> None:
        """Append at the end; a box scrolled to its end stays there (the live view follows)."""
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        self._fit()
        if self._follow and self.capped:
            self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())

    def _on_scroll_action(self, _action: int) -> None:
        """The reader scrolled (wheel, drag, arrows): follow the end again only once back at it."""
        bar = self.verticalScrollBar()
        self._follow = bar.sliderPosition() >= bar.maximum()

    def cap_px(self) -> int:
        return self._frame_px(self.cap_lines * self.fontMetrics().lineSpacing())

    def _frame_px(self, text_height: float) -> int:
        return int(text_height + 2 * self.document().documentMargin() + 4)

    def _fit(self, size: object = None) -> None:
        # Measured from the top every time, but never past the cap: a bounded walk (at most
        # cap_lines lines), so appending stays linear however long the reasoning grows. Cached
        # heights would go stale when the document is laid out again at another width.
        limit = self.cap_lines * self.fontMetrics().lineSpacing()
        height = 0.0
        layout = self.document().documentLayout()
        block = self.document().begin()
        while block.isValid() and height <= limit:
            height += layout.blockBoundingRect(block).height()
            block = block.next()
        self.capped = height > limit
        bars = Qt.ScrollBarPolicy
        policy = bars.ScrollBarAsNeeded if self.capped else bars.ScrollBarAlwaysOff
        if self.verticalScrollBarPolicy() != policy:  # a bar only past the cap: it would narrow the text
            self.setVerticalScrollBarPolicy(policy)
        wanted = self._frame_px(min(height, limit))
        self.setFixedHeight(max(wanted, self.fontMetrics().lineSpacing() + 8))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()


class ReasoningPane(QWidget):
    toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reasoningPane")
        self.header = QToolButton(self)
        self.header.setObjectName("reasoningHeader")
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setAutoRaise(True)
        self.header.setCheckable(True)
        self.header.clicked.connect(self._on_click)
        self.body = _CappedText(self)
        self.body.setObjectName("reasoning")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.header, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.body)
        self.thinking = False
        self._label = ""
        self._unshown: str | None = None  # text given while collapsed, not yet in the body
        self.set_expanded(True)

    # ------------------------------------------------------------------ state

    @property
    def expanded(self) -> bool:
        return self.header.isChecked()

    def set_expanded(self, expanded: bool) -> None:
        self.header.setChecked(expanded)
        self.header.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        if expanded and self._unshown is not None:
            text, self._unshown = self._unshown, None
            self.body.replace_text(text)
        self.body.setVisible(expanded)

    def _on_click(self, checked: bool) -> None:
        self.set_expanded(checked)
        self.toggled.emit(checked)

    # -------------------------------------------------------------- content

    def start(self) -> None:
        self.thinking = True
        self.body.set_cap(STREAMING_LINES)
        self.set_expanded(True)
        self.show_elapsed(0)

    def show_elapsed(self, seconds: float) -> None:
        self._set_label(self.tr("Thinking… {seconds} s").format(seconds=int(seconds)))

    def append(self, text: str) -> None:
        """Append streamed reasoning (cost proportional to the new text only)."""
        if self._unshown is not None:  # collapsed after set_text: keep it all for the first expand
            self._unshown += text
            return
        self.body.append_text(text)

    def set_text(self, text: str) -> None:
        """The whole reasoning; a collapsed pane keeps it until it is expanded."""
        if self.expanded:
            self._unshown = None
            self.body.replace_text(text)
        elif self._unshown is not None or text != self.body.toPlainText():
            self._unshown = text

    def text(self) -> str:
        return self._unshown if self._unshown is not None else self.body.toPlainText()

    def finish(
        self, seconds: float | None, tokens: int | None, *, budget_hit: bool = False, unclosed: bool = False
    ) -> None:
        self.thinking = False
        self.body.set_cap(FINISHED_LINES)
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
