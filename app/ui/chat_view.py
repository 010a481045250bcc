"""The conversation: a column of message widgets that stays pinned to the bottom.

New content keeps the view at the bottom unless the user scrolled up to read;
then it stays where the user put it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

from app.render.markdown_html import render_markdown
from app.store.models import Message
from app.ui.message_widget import MessageWidget


class ChatView(QScrollArea):
    def __init__(self, parent: QWidget | None = None, *, dark: bool = False) -> None:
        super().__init__(parent)
        self.dark = dark
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._inner = QWidget()
        self._inner.setObjectName("chatColumn")
        self._column = QVBoxLayout(self._inner)
        self._column.setContentsMargins(16, 12, 16, 12)
        self._column.setSpacing(10)
        self._column.addStretch(1)
        self.setWidget(self._inner)
        self.widgets: list[MessageWidget] = []
        self._pinned = True
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrolled)
        bar.rangeChanged.connect(self._on_range)
        # Load Markdown and Pygments now rather than in the middle of the first answer.
        render_markdown("**warm-up**\n\n```python\npass\n```", dark=dark)

    def clear(self) -> None:
        for w in self.widgets:
            self._column.removeWidget(w)
            w.hide()  # deleteLater waits for the event loop; a grab or paint before it must not show it
            w.deleteLater()
        self.widgets = []
        self._pinned = True

    def set_messages(self, messages: list[Message]) -> list[MessageWidget]:
        self.clear()
        for m in messages:
            self.add(m)
        return self.widgets

    def add(self, message: Message) -> MessageWidget:
        w = MessageWidget(message, dark=self.dark)
        self._column.insertWidget(self._column.count() - 1, w)
        w.show()  # now, not after the next event-loop turn
        self.widgets.append(w)
        self._mark_last()
        return w

    def remove_from(self, index: int) -> None:
        """Drop the widgets from ``index`` on (regenerate, edit and resend)."""
        for w in self.widgets[index:]:
            self._column.removeWidget(w)
            w.hide()
            w.deleteLater()
        del self.widgets[index:]
        self._mark_last()

    def widget_for(self, message_id: int) -> MessageWidget | None:
        return next((w for w in self.widgets if w.message.id == message_id), None)

    def _mark_last(self) -> None:
        last_answer = next((w for w in reversed(self.widgets) if w.message.role == "assistant"), None)
        for w in self.widgets:
            w.set_last(w is last_answer)

    # ------------------------------------------------------------- pinning

    @property
    def pinned(self) -> bool:
        return self._pinned

    def _on_scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._pinned = value >= bar.maximum() - 4

    def _on_range(self, _min: int, maximum: int) -> None:
        if self._pinned:
            self.verticalScrollBar().setValue(maximum)

    def scroll_to_bottom(self) -> None:
        self._pinned = True
        self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())
