"""The conversation: a centered reading column whose message widgets are built only near the screen.

A 500-turn conversation must open at once and stay light, so only a window of messages around
what is on screen has widgets; the turns above and below are spacers whose heights are
estimated from their text (measured once they were built), so the scroll bar is honest about
the length. Scrolling builds what comes into view and drops what is far away. Lazily built
widgets in a scroll area rather than a model/view with a delegate: an answer is live,
interactive rich text (selectable, links, copy buttons, a foldable reasoning pane, error
buttons) that a delegate would have to re-implement by painting.

New content keeps the view at the bottom unless the user scrolled up to read; then it stays
where the user put it.

Signals:
    built(MessageWidget): a message's widget was just made (wire its buttons, show its files).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

from app.render.markdown_html import render_markdown
from app.store.models import Message
from app.ui.message_widget import MessageWidget

COLUMN_EM = 46  # the reading column's width, in the font's em
SPACING = 14
MARGIN_SCREENS = 1.0  # built around the viewport: this many screens above and below
MAX_BUILT = 48  # beyond this, widgets far from the viewport are dropped (memory stays bounded)


class ChatView(QScrollArea):
    built = Signal(MessageWidget)

    def __init__(self, parent: QWidget | None = None, *, dark: bool = False) -> None:
        super().__init__(parent)
        self.dark = dark
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._inner = QWidget()
        self._inner.setObjectName("chatColumn")
        self._column = QVBoxLayout(self._inner)
        self._column.setContentsMargins(16, 16, 16, 16)
        self._column.setSpacing(SPACING)
        self._top = _spacer()
        self._bottom = _spacer()
        self._column.addWidget(self._top)
        self._column.addWidget(self._bottom)
        self._column.addStretch(1)
        self.setWidget(self._inner)
        self.messages: list[Message] = []  # the branch on screen, all of it
        self._built: list[MessageWidget] = []  # widgets of messages[lo:hi], in order
        self._lo = 0
        self._heights: dict[int, int] = {}  # message id → measured height (once built)
        self._guesses: dict[int, int] = {}  # message id → estimated height (at the current width)
        self._pinned = True
        self._filling = False
        self._fill_timer = QTimer(self, singleShot=True, interval=0)
        self._fill_timer.timeout.connect(self._fill)
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrolled)
        bar.rangeChanged.connect(self._on_range)
        self.viewport().installEventFilter(self)
        # Load Markdown and Pygments now rather than in the middle of the first answer.
        render_markdown("**warm-up**\n\n```python\npass\n```", dark=dark)

    # ------------------------------------------------------------ the model

    @property
    def widgets(self) -> list[MessageWidget]:
        """The widgets built now, in order (those of the messages on and near the screen)."""
        return list(self._built)

    @property
    def _hi(self) -> int:
        return self._lo + len(self._built)

    def clear(self) -> None:
        self._drop(list(self._built))
        self._built = []
        self.messages = []
        self._lo = 0
        self._heights = {}
        self._guesses = {}
        self._set_spacers()
        self._pinned = True

    def set_messages(self, messages: list[Message]) -> list[MessageWidget]:
        """Show ``messages`` from the end (where a conversation is read from); returns the widgets
        built, the last screens' worth."""
        self.clear()
        self.messages = list(messages)
        self._lo = len(self.messages)
        self._build_up_to_screen(from_end=True)
        return self.widgets

    def add(self, message: Message) -> MessageWidget:
        """Append a message (a question sent, an answer starting): always built, at the bottom."""
        if self._hi != len(self.messages):  # the end is not built: show it, as sending does
            self.set_messages(self.messages)
        self.messages.append(message)
        w = self._make(len(self.messages) - 1)
        self._column.insertWidget(self._column.indexOf(self._bottom), w)
        self._built.append(w)
        w.show()
        self.built.emit(w)
        return w

    def remove_from(self, index: int) -> None:
        """Drop the messages from ``index`` on (a new version replaces them on screen)."""
        del self.messages[index:]
        keep = max(0, index - self._lo)
        self._drop(self._built[keep:])
        del self._built[keep:]
        if not self._built:
            self._lo = len(self.messages)
        self._set_spacers()
        self._schedule_fill()

    def replace_from(self, index: int, messages: list[Message]) -> None:
        """Show ``messages`` in place of those from ``index`` on (another version was chosen),
        keeping the ones above, and where the user is reading, as they are."""
        self.remove_from(index)
        self.messages.extend(messages)
        self._set_spacers()
        self._fill()

    def widget_for(self, message_id: int) -> MessageWidget | None:
        return next((w for w in self._built if w.message.id == message_id), None)

    def index_of(self, message_id: int) -> int | None:
        return next((i for i, m in enumerate(self.messages) if m.id == message_id), None)

    def update_message(self, message: Message) -> None:
        """The stored message changed (an answer ended): keep the view's copy the same."""
        i = self.index_of(message.id)
        if i is not None:
            self.messages[i] = message
            self._guesses.pop(message.id, None)

    def scroll_to_message(self, message_id: int) -> MessageWidget | None:
        """Bring a message to the top of the view (a search hit), building it if needed."""
        i = self.index_of(message_id)
        if i is None:
            return None
        if not self._lo <= i < self._hi:
            self._drop(list(self._built))
            self._built = []
            self._lo = i
            self._set_spacers()
            self._build_at(i, at_top=False)
        self._column.activate()
        w = self.widget_for(message_id)
        self._pinned = False
        if w is not None:
            self.verticalScrollBar().setValue(max(0, w.y() - SPACING))
        self._fill()
        return w

    # ------------------------------------------------------------- building

    def _make(self, index: int) -> MessageWidget:
        w = MessageWidget(self.messages[index], dark=self.dark)
        w.setParent(self._inner)
        return w

    def _build_at(self, index: int, *, at_top: bool) -> MessageWidget:
        w = self._make(index)
        if at_top:
            self._column.insertWidget(self._column.indexOf(self._top) + 1, w)
            self._built.insert(0, w)
            self._lo = index
        else:
            self._column.insertWidget(self._column.indexOf(self._bottom), w)
            self._built.append(w)
        w.show()
        self.built.emit(w)
        return w

    def _build_up_to_screen(self, *, from_end: bool) -> None:
        """Build from the end upwards until about two screens are filled."""
        want = self.viewport().height() * (1 + MARGIN_SCREENS) + 1
        have = 0
        while self._lo > 0 and have < want:
            have += self._estimate(self.messages[self._lo - 1]) + SPACING
            self._build_at(self._lo - 1, at_top=True)
        self._set_spacers()  # once, with the built range final

    def _fill(self) -> None:
        """Build what scrolled near the screen; drop what is far from it."""
        if self._filling or not self.messages:
            return
        self._filling = True
        try:
            self._column.activate()
            bar = self.verticalScrollBar()
            view_h = self.viewport().height()
            margin = int(view_h * MARGIN_SCREENS)
            top, bottom = bar.value() - margin, bar.value() + view_h + margin
            # Above: build, then keep what is on screen in place whatever the real heights were.
            added: list[MessageWidget] = []
            edge = self._top.y() + self._top.height()
            while self._lo > 0 and edge > top:
                estimate = self._estimate(self.messages[self._lo - 1])
                added.append(self._build_at(self._lo - 1, at_top=True))
                edge -= estimate + SPACING
            if added:
                before = self._top.height() if self._top.isVisible() else 0
                self._set_spacers()
                self._column.activate()
                real = sum(w.height() + SPACING for w in added)
                after = self._top.height() if self._top.isVisible() else 0
                shift = real - (before - after)
                if not self._pinned and shift:
                    bar.setValue(bar.value() + shift)
                top, bottom = bar.value() - margin, bar.value() + view_h + margin
            # Below.
            while self._hi < len(self.messages) and self._bottom.y() < bottom:
                self._build_at(self._hi, at_top=False)
                self._set_spacers()
                self._column.activate()
            self._trim(top, bottom)
        finally:
            self._filling = False

    def _trim(self, top: int, bottom: int) -> None:
        """Keep at most MAX_BUILT widgets: drop those furthest from the screen."""
        if len(self._built) <= MAX_BUILT:
            return
        far_top = [w for w in self._built if w.y() + w.height() < top]
        far_bottom = [w for w in self._built if w.y() > bottom]
        while len(self._built) > MAX_BUILT and (far_top or far_bottom):
            if far_top and (len(far_top) >= len(far_bottom)):
                w = far_top.pop(0)
                assert w is self._built[0]
                self._heights[w.message.id] = w.height()
                self._built.pop(0)
                self._lo += 1
            else:
                w = far_bottom.pop()
                assert w is self._built[-1]
                self._heights[w.message.id] = w.height()
                self._built.pop()
            self._drop([w])
        self._set_spacers()

    def _drop(self, widgets: list[MessageWidget]) -> None:
        for w in widgets:
            if w.height() > 0 and w.isVisible():
                self._heights[w.message.id] = w.height()
            self._column.removeWidget(w)
            w.hide()  # deleteLater waits for the event loop; a grab or paint before it must not show it
            w.deleteLater()

    # ------------------------------------------------------------- spacers

    def _estimate(self, m: Message) -> int:
        """A message's height before it is built: measured before, or guessed from its text.

        Counted in C (len, count) rather than by splitting: the spacers of a 500-turn conversation
        sum a thousand of these when it opens.
        """
        known = self._heights.get(m.id) or self._guesses.get(m.id)
        if known is not None:
            return known
        fm = self.fontMetrics()
        line = fm.lineSpacing()
        width = max(200, self._inner.width() - 32)
        per_line = max(20, width // max(1, fm.averageCharWidth()))
        text = m.content or ""
        lines = text.count("\n") + 1 + len(text) // per_line
        height = (lines + 2) * line  # the text, the name line and the actions
        if m.role == "assistant" and (m.reasoning or m.think):
            height += line + 8  # the folded reasoning's header
        if m.role == "user":
            height += 20  # the bubble's padding
        self._guesses[m.id] = height
        return height

    def _set_spacers(self) -> None:
        above = sum(self._estimate(m) + SPACING for m in self.messages[: self._lo])
        below = sum(self._estimate(m) + SPACING for m in self.messages[self._hi :])
        for spacer, height in ((self._top, above - SPACING), (self._bottom, below - SPACING)):
            spacer.setFixedHeight(max(0, height))
            spacer.setVisible(height > 0)

    def _schedule_fill(self) -> None:
        self._fill_timer.start()

    # ------------------------------------------------------------- pinning

    @property
    def pinned(self) -> bool:
        return self._pinned

    def _on_scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._pinned = value >= bar.maximum() - 4
        self._schedule_fill()

    def _on_range(self, _min: int, maximum: int) -> None:
        if self._pinned:
            self.verticalScrollBar().setValue(maximum)

    def scroll_to_bottom(self) -> None:
        self._pinned = True
        if self._hi != len(self.messages):
            self.set_messages(self.messages)
        self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())

    # ------------------------------------------------------------- column

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.viewport() and event.type() == QEvent.Type.Resize:
            self._guesses = {}  # another width, other wrapping
            self._center_column()
            self._schedule_fill()
        return super().eventFilter(watched, event)

    def _center_column(self) -> None:
        """A reading column about COLUMN_EM wide, centered in whatever width the window has."""
        column = self.fontMetrics().horizontalAdvance("M") * COLUMN_EM
        side = max(16, (self.viewport().width() - column) // 2)
        self._column.setContentsMargins(side, 16, side, 16)


def _spacer() -> QWidget:
    w = QWidget()
    w.setFixedHeight(0)
    w.hide()
    return w
