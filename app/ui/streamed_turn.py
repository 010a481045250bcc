"""The answer being written: what has arrived, and painting it into its message widget.

Engine events only fill buffers (cheap, at the rate tokens come); ``paint`` runs on a timer
(~30 times a second) and touches only this message's widget, appending what is new. Before the
first text, a long prompt's reading shows there (app.ui.prompt_reading).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.backend.protocol import PromptProgress
from app.store.models import Message, ToolCard
from app.ui.message_widget import MessageWidget
from app.ui.prompt_reading import PromptReading

CHECKPOINT_S = 0.5  # well inside the promised "at least once per second"


@dataclass
class StreamedTurn:
    message: Message
    widget: MessageWidget
    started: float
    answer: str = ""
    reasoning: str = ""
    pending_reasoning: list[str] = field(default_factory=list)
    pending_answer: list[str] = field(default_factory=list)  # joined at paint: no copy per token
    think_started: float | None = None
    think_ended: float | None = None
    last_checkpoint: float = 0.0
    user_toggled: bool = False  # the user opened or folded the pane: leave it so
    cards: dict[str, ToolCard] = field(default_factory=dict)  # tool calls, by id, as they stand now
    reading: PromptReading = field(init=False)  # "Reading the conversation… 3,072 / 12,288 tokens"

    def __post_init__(self) -> None:
        self.reading = PromptReading(self.widget)

    def thinking_s(self, now: float) -> float | None:
        if self.think_started is None:
            return None
        return (self.think_ended or now) - self.think_started

    def add_reasoning(self, text: str, now: float) -> None:
        if self.think_started is None:
            self.think_started = now
        self.pending_reasoning.append(text)

    def add_answer(self, text: str, now: float) -> None:
        if self.think_started is not None and self.think_ended is None:
            self.think_ended = now
        self.pending_answer.append(text)

    def add_progress(self, progress: PromptProgress, now: float) -> None:
        self.reading.add(progress, now)

    def add_card(self, card: ToolCard) -> None:
        """A tool call appeared or changed: the text before it is shown first, then the card."""
        if self.pending_answer:
            self.answer += "".join(self.pending_answer)
            self.pending_answer.clear()
        self.cards[card.id] = card
        self.widget.pieces.card(card, self.answer)

    @property
    def tool_cards(self) -> tuple[ToolCard, ...]:
        return tuple(self.cards.values())

    def paint(self, now: float) -> None:
        """Show what arrived since the last paint."""
        pane = self.widget.reasoning
        answer_grew = bool(self.pending_answer)
        if answer_grew or self.pending_reasoning or self.cards:
            self.reading.end()  # the first text: reading is over
        else:
            self.reading.paint(now)
        if answer_grew:
            self.answer += "".join(self.pending_answer)
            self.pending_answer.clear()
        if self.pending_reasoning:
            chunk = "".join(self.pending_reasoning)
            self.pending_reasoning.clear()
            self.reasoning += chunk
            if pane is not None:
                pane.append(chunk)
        if pane is not None and pane.thinking:
            if self.answer and self.think_started is None:  # it answered without thinking: no pane
                pane.thinking = False
                pane.hide()
            elif self.answer and self.think_started is not None:
                pane.finish(self.thinking_s(now), None)
                if not self.user_toggled:
                    pane.set_expanded(False)
            elif self.think_started is not None:
                pane.show_elapsed(now - self.think_started)
        if answer_grew and self.widget.answer is not None:
            self.widget.pieces.stream(self.answer)
            self.widget.answer.show()
        if self.cards:
            self.widget.pieces.tick()

    def checkpoint_due(self, now: float) -> bool:
        """Whether the text so far should be written to the store now (then it is counted as done)."""
        if now - self.last_checkpoint < CHECKPOINT_S:
            return False
        self.last_checkpoint = now
        return True
