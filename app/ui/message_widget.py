"""One turn in the conversation: a user message, or an assistant answer with its reasoning.

A question is a right-aligned rounded bubble; an answer is unboxed, full column width, under
the model's name. The actions (copy, edit, regenerate) show while the pointer is over the
message or focus is in it, not as permanent rows of buttons; ‹ 2 / 3 › switches between a
message's versions (made by Edit and Regenerate) and shows whenever there is more than one.

Signals:
    regenerate_requested(int): message id of the answer to write again (a new version).
    version_requested(int, int): message id, step (-1 the previous version, +1 the next).
    edit_submitted(int, str): a question edited in place and sent (message id, the new text): it
        becomes a new version of that question.
    reasoning_toggled(int, bool): the user expanded/collapsed a reasoning pane.
    retry_requested(int): an error's Retry button (message id of the failed answer).
    choose_model_requested(): an error's "Choose another model…" button.
    reload_requested(int, int): "Reload with a longer context" (message id, context length).
    read_whole_requested(int): "Read the whole document instead" (message id of the answer to write
        again with the documents sent whole).
    remove_attachment_requested(int): a file chip's × (attachment id).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, Qt, Signal
from PySide6.QtGui import QEnterEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.documents import Source
from app.store.models import Attachment, Message
from app.ui.answer_segments import AnswerSegments
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
MODEL_MARK = "◆"  # before the model's name over an answer
BUBBLE_SHARE = 0.8  # a question's bubble takes at most this share of the column


def model_label(model: str | None, remote: str | None = None) -> str:
    """Who wrote an answer: the local GGUF's name, or a server's model and where it runs."""
    if remote is not None:
        return QCoreApplication.translate("MessageWidget", "{model} @ {host} (remote)").format(
            model=model or "?", host=remote
        )
    return Path(model).stem if model else QCoreApplication.translate("MessageWidget", "Assistant")


class MessageWidget(QFrame):
    regenerate_requested = Signal(int)
    version_requested = Signal(int, int)
    edit_submitted = Signal(int, str)
    reasoning_toggled = Signal(int, bool)
    retry_requested = Signal(int)
    choose_model_requested = Signal()
    reload_requested = Signal(int, int)  # message id, context length
    read_whole_requested = Signal(int)  # message id
    remove_attachment_requested = Signal(int)  # attachment id

    def __init__(self, message: Message, *, dark: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = message
        self.setObjectName("userMessage" if message.role == "user" else "assistantMessage")
        self.setFrameShape(QFrame.Shape.NoFrame)
        # Tab reaches the message itself (its actions show), then its buttons: keyboard users get
        # what the pointer gets on hover.
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        self.reasoning: ReasoningPane | None = None
        self.answer: AnswerView | None = None
        self.user_text: QLabel | None = None
        self.editor: _InlineEditor | None = None  # a question's, made when Edit is first pressed
        if message.role == "user":
            # The bubble, right-aligned; its text wraps at BUBBLE_SHARE of the column.
            self.bubble = QFrame(self)
            self.bubble.setObjectName("userBubble")
            self.bubble.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
            layout = QVBoxLayout(self.bubble)
            layout.setContentsMargins(2, 2, 2, 2)  # the style sheet's padding does the rest
            self._bubble_layout = layout
            layout.setSpacing(4)
            self.user_text = QLabel(message.content)
            self.user_text.setTextFormat(Qt.TextFormat.PlainText)
            self.user_text.setWordWrap(True)
            self.user_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(self.user_text)
            self.chips = ChipBar(self)
            self.chips.remove_requested.connect(self.remove_attachment_requested.emit)
            layout.addWidget(self.chips)
            row = QHBoxLayout()
            row.setContentsMargins(0, 0, 0, 0)
            row.addStretch(1)
            row.addWidget(self.bubble)
            outer.addLayout(row)
            self._outer = outer
            body = outer
        else:
            who = QLabel(f"{MODEL_MARK} " + model_label(message.model, message.remote))
            who.setObjectName("role")  # the style sheet: #role, a small muted line
            who.setContentsMargins(4, 0, 0, 0)  # in line with the answer's text (its document margin)
            outer.addWidget(who)
            body = outer
            if message.think or message.reasoning:
                self.reasoning = ReasoningPane(self)
                self.reasoning.toggled.connect(lambda on: self.reasoning_toggled.emit(self.message.id, on))
                self.reasoning.hide()  # shown when there is reasoning to show, never as an empty header
                body.addWidget(self.reasoning)
            self.answer = AnswerView(self, dark=dark)  # the first piece: all of it without tools
            self.pieces = AnswerSegments(self.answer, dark=dark, parent=self)
            body.addWidget(self.pieces)
            self.sources = SourcesLabel(self)
            body.addWidget(self.sources)
        layout = body

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
        self.offer_button.clicked.connect(self._offer_taken)
        offer.addWidget(self.offer_label, 1)
        offer.addWidget(self.offer_button)
        self.offer_box.hide()
        layout.addWidget(self.offer_box)

        self.actions_bar = QWidget(self)
        self.actions_bar.setObjectName("messageActions")
        actions = QHBoxLayout(self.actions_bar)
        actions.setContentsMargins(0, 0, 0, 0)
        actions.setSpacing(2)
        self.copy_button = self._action(self.tr("Copy"), self._copy)
        if message.role == "user":
            self.edit_button = self._action(self.tr("Edit"), self.begin_edit)
            hover = [self.copy_button, self.edit_button]
        else:
            self.regenerate_button = self._action(
                self.tr("Regenerate"), lambda: self.regenerate_requested.emit(self.message.id)
            )
            hover = [self.copy_button, self.regenerate_button]
        self.versions = _VersionSwitcher(self)
        self.versions.step.connect(lambda step: self.version_requested.emit(self.message.id, step))
        if message.role == "user":  # under the bubble, at the right: actions, then ‹ 1 / 2 ›
            actions.addStretch(1)
            for b in hover:
                actions.addWidget(b)
            actions.addWidget(self.versions)
        else:  # under the answer, at the left: ‹ 1 / 2 › where the eye starts, then actions
            actions.addWidget(self.versions)
            for b in hover:
                actions.addWidget(b)
            actions.addStretch(1)
        self._hover_actions = hover
        layout.addWidget(self.actions_bar)
        self._hovered = False
        self._streaming = False
        QApplication.instance().focusChanged.connect(self._on_focus_changed)  # type: ignore[union-attr]
        self._show_actions()
        self.show_message(message)

    def _action(self, text: str, slot) -> QToolButton:
        b = QToolButton(self)
        b.setText(text)
        b.setAutoRaise(True)
        b.clicked.connect(slot)
        policy = b.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # showing them on hover must not move the text
        b.setSizePolicy(policy)
        return b

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.user_text is not None:
            self._fit_bubble()

    def _fit_bubble(self) -> None:
        """As wide as its longest line, at most BUBBLE_SHARE of the column (a wrapping QLabel
        alone would pick a narrow width and a tall bubble)."""
        assert self.user_text is not None
        self.bubble.ensurePolished()
        self.user_text.ensurePolished()
        fm = self.user_text.fontMetrics()
        # A line longer than this wraps at the cap anyway: no need to measure a pasted page.
        lines = (line[:400] for line in self.message.content.splitlines()[:200])
        natural = max((fm.horizontalAdvance(line) for line in lines), default=0)
        margins = self._bubble_layout.contentsMargins()
        frame = self.bubble.width() - self.bubble.contentsRect().width()  # border and padding
        chips = self.chips.sizeHint().width() if self.chips.isVisibleTo(self) else 0
        wanted = max(natural, chips) + margins.left() + margins.right() + frame + 2
        self.bubble.setFixedWidth(max(48, min(wanted, int(self.width() * BUBBLE_SHARE))))

    # --------------------------------------------------- actions on hover

    def enterEvent(self, event: QEnterEvent) -> None:
        self._hovered = True
        self._show_actions()
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._hovered = False
        self._show_actions()
        super().leaveEvent(event)

    def _on_focus_changed(self, _old: QWidget | None, now: QWidget | None) -> None:
        self._show_actions()

    def _focus_inside(self) -> bool:
        focused = QApplication.focusWidget()
        return focused is not None and self.isAncestorOf(focused)

    def _show_actions(self) -> None:
        shown = (self._hovered or self._focus_inside()) and not self._streaming
        for b in self._hover_actions:
            b.setVisible(shown)

    @property
    def actions_shown(self) -> bool:
        return all(b.isVisibleTo(self) for b in self._hover_actions)

    # ------------------------------------------------------- edit in place

    def begin_edit(self) -> None:
        """The bubble becomes an editor holding the question: Send makes a new version of it,
        Cancel (or Esc) puts the bubble back unchanged."""
        if self.editor is None:
            self.editor = _InlineEditor(self)
            self.editor.submitted.connect(lambda text: self.edit_submitted.emit(self.message.id, text))
            self.editor.cancelled.connect(self.end_edit)
            self._outer.insertWidget(1, self.editor)
        self.editor.text.setPlainText(self.message.content)
        self.bubble.hide()
        self.actions_bar.hide()
        self.editor.show()
        self.editor.text.setFocus()
        self.editor.text.selectAll()

    def end_edit(self) -> None:
        if self.editor is not None:
            self.editor.hide()
        self.bubble.show()
        self.actions_bar.show()

    @property
    def editing(self) -> bool:
        return self.editor is not None and self.editor.isVisible()

    def set_versions(self, index: int, count: int) -> None:
        """This message is version ``index`` (1-based) of ``count``."""
        self.versions.set_versions(index, count)

    # ------------------------------------------------------------- content

    def set_streaming(self, streaming: bool) -> None:
        """While an answer streams: no actions yet, and no empty answer box under the thinking."""
        self._streaming = streaming
        self.versions.setEnabled(not streaming)
        self._show_actions()
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
        if render_answer and m.tool_cards:
            self.pieces.show_stored(m.content, m.tool_cards)
        elif render_answer:
            self.answer.set_markdown(m.content)
        self.answer.setVisible(bool(m.content) or m.status not in ("streaming", "error"))
        if self.reasoning is not None:
            self.reasoning.set_expanded(bool(m.reasoning_collapsed is False))
            self.reasoning.set_text(m.reasoning)
            self.reasoning.finish(
                m.thinking_s,
                m.reasoning_tokens,
                budget_hit=m.thinking_budget_hit,
                unclosed=m.status != "complete" and not m.content and bool(m.reasoning),
            )
            # No reasoning, no pane: the model answered without thinking, or failed before it began.
            self.reasoning.setVisible(bool(m.reasoning) or m.status == "streaming")
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

    def show_read_whole_offer(self, why: str, button: str) -> None:
        """Say that reading the whole documents would be slow, and offer it all the same."""
        self.show_reload_offer(why, (0, button))  # no context length: the same model reads them

    def _offer_taken(self) -> None:
        n_ctx = self.offer_button.property("n_ctx")
        if n_ctx:
            self.reload_requested.emit(self.message.id, n_ctx)
        else:
            self.read_whole_requested.emit(self.message.id)

    def set_attachments(self, attachments: list[Attachment], *, removable: bool = True) -> None:
        if self.message.role == "user":
            self.chips.set_attachments(attachments, removable=removable)
            self._fit_bubble()

    def set_sources(self, sources: list[Source]) -> None:
        if self.message.role == "assistant":
            self.sources.set_sources(sources)

    def _copy(self) -> None:
        text = self.message.content if self.answer is None else self.pieces.markdown()
        QGuiApplication.clipboard().setText(text)


class _VersionSwitcher(QWidget):
    """‹ 2 / 3 ›: which version of a message this is, and a step to the others."""

    step = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("versionSwitcher")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        self.previous = QToolButton(self)
        self.previous.setText("‹")
        self.previous.setAutoRaise(True)
        self.previous.setToolTip(self.tr("Previous version"))
        self.previous.clicked.connect(lambda: self.step.emit(-1))
        self.label = QLabel(self)
        self.next = QToolButton(self)
        self.next.setText("›")
        self.next.setAutoRaise(True)
        self.next.setToolTip(self.tr("Next version"))
        self.next.clicked.connect(lambda: self.step.emit(1))
        for w in (self.previous, self.label, self.next):
            row.addWidget(w)
        self.index, self.count = 1, 1
        self.hide()

    def set_versions(self, index: int, count: int) -> None:
        self.index, self.count = index, count
        self.label.setText(f"{index} / {count}")
        self.previous.setEnabled(index > 1)
        self.next.setEnabled(index < count)
        self.setVisible(count > 1)


class _InlineEditor(QFrame):
    """A question being edited where it stands: Send (Ctrl+Enter) or Cancel (Esc)."""

    submitted = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inlineEditor")
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("inlineEditorText")
        self.text.setTabChangesFocus(True)
        self.text.setMinimumHeight(self.fontMetrics().lineSpacing() * 3 + 16)
        self.send_button = QPushButton(self.tr("Send"), self)
        self.send_button.setProperty("primary", True)
        self.send_button.clicked.connect(self._submit)
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        self.cancel_button.clicked.connect(self.cancelled)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.text)
        layout.addLayout(buttons)
        QShortcut(QKeySequence("Ctrl+Return"), self.text, self._submit)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self.text, self.cancelled.emit)

    def _submit(self) -> None:
        text = self.text.toPlainText().strip()
        if text:
            self.submitted.emit(text)
