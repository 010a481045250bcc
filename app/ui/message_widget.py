"""One turn in the conversation: a user message, or an assistant answer with its reasoning.

Signals:
    regenerate_requested(int): message id of the answer to write again.
    edit_requested(int): message id of the user message to edit and resend.
    reasoning_toggled(int, bool): the user expanded/collapsed a reasoning pane.
    retry_requested(int): an error's Retry button (message id of the failed answer).
    choose_model_requested(): an error's "Choose another model…" button.
    reload_requested(int, int): "Reload with a longer context" (message id, context length).
    remove_attachment_requested(int): a file chip's × (attachment id).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.documents import Source
from app.store.models import Attachment, Message
from app.ui.answer_view import AnswerView
from app.ui.attachments import ChipBar
from app.ui.reasoning_pane import ReasoningPane
from app.ui.sources_view import SourcesLabel

# Source texts, translated when shown.
STATUS_TEXT = {
    "interrupted": QT_TRANSLATE_NOOP(
        "MessageWidget", "Interrupted: the app stopped while this answer was being written."
    ),
    "cancelled": QT_TRANSLATE_NOOP("MessageWidget", "Stopped."),
}
# Engine error kinds whose fix is another model rather than another try.
MODEL_PROBLEMS = {"model_missing", "bad_model", "load_failed", "no_model", "unsupported_context"}


def model_label(model: str | None, remote: str | None = None) -> str:
    """Who wrote an answer: the local GGUF's name, or a server's model and where it runs."""
    if remote is not None:
        return QCoreApplication.translate("MessageWidget", "{model} @ {host} (remote)").format(
            model=model or "?", host=remote
        )
    return Path(model).stem if model else QCoreApplication.translate("MessageWidget", "Assistant")


class MessageWidget(QFrame):
    regenerate_requested = Signal(int)
    edit_requested = Signal(int)
    reasoning_toggled = Signal(int, bool)
    retry_requested = Signal(int)
    choose_model_requested = Signal()
    reload_requested = Signal(int, int)  # message id, context length
    remove_attachment_requested = Signal(int)  # attachment id

    def __init__(self, message: Message, *, dark: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = message
        self.setObjectName("userMessage" if message.role == "user" else "assistantMessage")
        self.setFrameShape(QFrame.Shape.StyledPanel if message.role == "user" else QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(4)
        who = QLabel(self.tr("You") if message.role == "user" else model_label(message.model, message.remote))
        who.setObjectName("role")
        font = who.font()
        font.setBold(True)
        who.setFont(font)
        layout.addWidget(who)

        self.reasoning: ReasoningPane | None = None
        self.answer: AnswerView | None = None
        self.user_text: QLabel | None = None
        if message.role == "user":
            self.user_text = QLabel(message.content)
            self.user_text.setTextFormat(Qt.TextFormat.PlainText)
            self.user_text.setWordWrap(True)
            self.user_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(self.user_text)
            self.chips = ChipBar(self)
            self.chips.remove_requested.connect(self.remove_attachment_requested.emit)
            layout.addWidget(self.chips)
        else:
            if message.think or message.reasoning:
                self.reasoning = ReasoningPane(self)
                self.reasoning.toggled.connect(lambda on: self.reasoning_toggled.emit(self.message.id, on))
                layout.addWidget(self.reasoning)
            self.answer = AnswerView(self, dark=dark)
            layout.addWidget(self.answer)
            self.sources = SourcesLabel(self)
            layout.addWidget(self.sources)

        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.status.hide()
        layout.addWidget(self.status)

        self.error_box = QFrame(self)
        self.error_box.setObjectName("errorBox")
        error_layout = QVBoxLayout(self.error_box)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        error_layout.addWidget(self.error_label)
        buttons = QHBoxLayout()
        self.retry_button = QPushButton(self.tr("Retry"))
        self.retry_button.clicked.connect(lambda: self.retry_requested.emit(self.message.id))
        self.model_button = QPushButton(self.tr("Choose another model…"))
        self.model_button.clicked.connect(self.choose_model_requested.emit)
        self.reload_button = QPushButton()
        self.reload_button.hide()
        self.reload_button.clicked.connect(
            lambda: self.reload_requested.emit(self.message.id, self.reload_button.property("n_ctx"))
        )
        buttons.addWidget(self.reload_button)
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.model_button)
        buttons.addStretch(1)
        error_layout.addLayout(buttons)
        self.error_box.hide()
        layout.addWidget(self.error_box)

        # "The whole documents would fit in a longer context": the YaRN reload, offered, not forced.
        self.offer_box = QFrame(self)
        self.offer_box.setObjectName("offerBox")
        offer = QHBoxLayout(self.offer_box)
        offer.setContentsMargins(0, 0, 0, 0)
        self.offer_label = QLabel()
        self.offer_label.setWordWrap(True)
        self.offer_button = QPushButton()
        self.offer_button.clicked.connect(
            lambda: self.reload_requested.emit(self.message.id, self.offer_button.property("n_ctx"))
        )
        offer.addWidget(self.offer_label, 1)
        offer.addWidget(self.offer_button)
        self.offer_box.hide()
        layout.addWidget(self.offer_box)

        self.actions_bar = QWidget(self)
        actions = QHBoxLayout(self.actions_bar)
        actions.setContentsMargins(0, 0, 0, 0)
        actions.setSpacing(2)
        self.copy_button = self._action(self.tr("Copy"), self._copy)
        actions.addWidget(self.copy_button)
        if message.role == "user":
            self.edit_button = self._action(
                self.tr("Edit"), lambda: self.edit_requested.emit(self.message.id)
            )
            actions.addWidget(self.edit_button)
        else:
            self.regenerate_button = self._action(
                self.tr("Regenerate"), lambda: self.regenerate_requested.emit(self.message.id)
            )
            actions.addWidget(self.regenerate_button)
        actions.addStretch(1)
        layout.addWidget(self.actions_bar)
        self.show_message(message)

    def _action(self, text: str, slot) -> QToolButton:
        b = QToolButton(self)
        b.setText(text)
        b.setAutoRaise(True)
        b.clicked.connect(slot)
        return b

    # ------------------------------------------------------------- content

    def set_streaming(self, streaming: bool) -> None:
        """While an answer streams: no actions yet, and no empty answer box under the thinking."""
        self.actions_bar.setVisible(not streaming)
        if self.answer is not None:
            self.answer.setVisible(not streaming or bool(self.answer.markdown))

    def show_message(self, m: Message, *, render_answer: bool = True) -> None:
        """Show a stored (complete, interrupted, cancelled or failed) message.

        ``render_answer=False`` when the answer view already holds the streamed text.
        """
        self.message = m
        if m.role == "user":
            return
        assert self.answer is not None
        self.set_streaming(m.status == "streaming")
        if render_answer:
            self.answer.set_markdown(m.content)
        self.answer.setVisible(bool(m.content) or m.status not in ("streaming", "error"))
        if self.reasoning is not None:
            self.reasoning.set_text(m.reasoning)
            self.reasoning.finish(
                m.thinking_s,
                m.reasoning_tokens,
                budget_hit=m.thinking_budget_hit,
                unclosed=m.status != "complete" and not m.content and bool(m.reasoning),
            )
            self.reasoning.set_expanded(bool(m.reasoning_collapsed is False))
            if not m.reasoning and m.status == "complete":
                self.reasoning.hide()  # the model answered without thinking (/no_think)
        self._show_status(m)

    def _show_status(self, m: Message) -> None:
        text = self.tr(str(STATUS_TEXT[m.status])) if m.status in STATUS_TEXT else ""
        if m.status == "complete" and m.finish_reason == "length":
            text = self.tr("The answer reached the length limit.")
        self.status.setText(text)
        self.status.setVisible(bool(text))
        if m.status == "error":
            self.show_error(m.error or self.tr("Something went wrong."), kind=None)
        else:
            self.error_box.hide()

    def show_error(self, message: str, kind: str | None, reload: tuple[int, str] | None = None) -> None:
        """``reload``: (context length, button text) when a longer context would fix it."""
        self.error_label.setText(message)
        self.model_button.setVisible(kind in MODEL_PROBLEMS or kind is None)
        self.reload_button.setVisible(reload is not None)
        if reload is not None:
            self.reload_button.setProperty("n_ctx", reload[0])
            self.reload_button.setText(reload[1])
        self.error_box.show()

    def show_reload_offer(self, why: str, reload: tuple[int, str] | None) -> None:
        """Say why the answer used passages only and, where possible, offer the longer context."""
        self.offer_label.setText(why)
        self.offer_button.setVisible(reload is not None)
        if reload is not None:
            self.offer_button.setProperty("n_ctx", reload[0])
            self.offer_button.setText(reload[1])
        self.offer_box.show()

    def set_attachments(self, attachments: list[Attachment], *, removable: bool = True) -> None:
        if self.message.role == "user":
            self.chips.set_attachments(attachments, removable=removable)

    def set_sources(self, sources: list[Source]) -> None:
        if self.message.role == "assistant":
            self.sources.set_sources(sources)

    def set_last(self, last: bool) -> None:
        """Only the last answer can be regenerated."""
        if self.message.role == "assistant":
            self.regenerate_button.setVisible(last)

    def _copy(self) -> None:
        text = self.message.content if self.answer is None else self.answer.markdown
        QGuiApplication.clipboard().setText(text)
