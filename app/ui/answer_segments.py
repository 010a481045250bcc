"""An answer that used tools: its text in pieces, with each call's card where it came.

The first piece is the message's ordinary AnswerView; a call ends the piece being written and
starts a new one after its card, so text, card, text, card, text read in the order they happened,
while streaming and when the answer is opened again (cards keep their place in the text as
``text_offset``).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.store.models import ToolCard
from app.ui.answer_view import AnswerView
from app.ui.tool_card import ToolCardWidget


class AnswerSegments(QWidget):
    def __init__(self, first: AnswerView, *, dark: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dark = dark
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self._layout.addWidget(first)
        self.pieces: list[tuple[int, AnswerView]] = [(0, first)]  # (where in the text it starts, view)
        self.cards: dict[str, ToolCardWidget] = {}

    @property
    def first(self) -> AnswerView:
        return self.pieces[0][1]

    def markdown(self) -> str:
        return "".join(view.markdown for _start, view in self.pieces)

    # ------------------------------------------------------------ streaming

    def stream(self, text: str) -> None:
        """The whole answer so far: the piece being written shows its part."""
        start, view = self.pieces[-1]
        view.update_stream(text[start:])
        view.setVisible(bool(view.markdown.strip()) or view is self.first)

    def finish(self, text: str) -> None:
        start, view = self.pieces[-1]
        view.finish_stream(text[start:])
        view.setVisible(bool(view.markdown.strip()) or view is self.first)

    def card(self, card: ToolCard, text: str) -> None:
        """A call appeared (the text so far ends where it came) or changed."""
        widget = self.cards.get(card.id)
        if widget is not None:
            widget.update_card(card)
            return
        start, view = self.pieces[-1]
        at = min(max(card.text_offset, start), len(text))
        view.finish_stream(text[start:at])
        view.setVisible(bool(view.markdown.strip()) or view is self.first)
        self._add_card(card)
        self._add_piece(at).begin_stream()

    def tick(self) -> None:
        """Running calls' elapsed time (the paint timer calls this)."""
        for widget in self.cards.values():
            if widget.card.state == "running":
                widget.tick()

    # -------------------------------------------------------------- stored

    def show_stored(self, text: str, cards: Sequence[ToolCard]) -> None:
        """A stored answer: its pieces cut where its cards came."""
        self._clear()
        ordered = sorted(cards, key=lambda c: c.text_offset)
        at = 0
        view = self.first
        for card in ordered:
            cut = min(max(card.text_offset, at), len(text))
            view.set_markdown(text[at:cut])
            view.setVisible(bool(text[at:cut].strip()) or view is self.first)
            self._add_card(card)
            view, at = self._add_piece(cut), cut
        view.set_markdown(text[at:])
        view.setVisible(bool(text[at:].strip()) or view is self.first)
        self.setVisible(True)

    def _clear(self) -> None:
        for _start, view in self.pieces[1:]:
            self._layout.removeWidget(view)
            view.deleteLater()
        for widget in self.cards.values():
            self._layout.removeWidget(widget)
            widget.deleteLater()
        self.pieces = self.pieces[:1]
        self.cards = {}

    def _add_card(self, card: ToolCard) -> None:
        widget = ToolCardWidget(card, self)
        self._layout.addWidget(widget)
        self.cards[card.id] = widget

    def _add_piece(self, start: int) -> AnswerView:
        view = AnswerView(self, dark=self.dark)
        self._layout.addWidget(view)
        self.pieces.append((start, view))
        return view
