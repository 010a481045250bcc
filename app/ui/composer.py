"""Where the user writes: Enter sends, Shift+Enter breaks the line, Send turns into Stop.

A rounded frame (``#composerFrame``) holds the input, which grows with its text up to
:data:`MAX_LINES`, and below it a row of compact controls: attach, the conversation's think
toggle and thinking budget, the active model (click to switch) and Send.

Signals:
    send_requested(str): the text to send (already stripped, never empty).
    stop_requested(): Stop clicked or Esc pressed while answering.
    think_toggled(bool): the think toggle changed (by the user).
    budget_changed(int): the thinking budget changed (0 = no limit).
    model_change_requested(): the model button was clicked.
    attach_requested(): the Attach… button.
    files_dropped(list): local files dropped on the input (paths).
    remove_attachment_requested(int): a pending file's × (attachment id).
    cancel_load_requested(): "Cancel" next to a model that is loading.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMimeData, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.models.think_mode import ThinkMode, effective_thinking
from app.store.models import Attachment
from app.ui.attachments import ChipBar

MIN_LINES, MAX_LINES = 1, 10  # the input's height in lines; beyond the cap it scrolls
WIDE = 560  # pixels from which the "Budget:" label fits in the controls row


def local_files(mime: QMimeData) -> list[str]:
    """Local file paths in a drop (URLs that are not files are left to the default handling)."""
    if not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]


class ComposerInput(QPlainTextEdit):
    """Multi-line input with chat-app keys; files dropped on it are attached, not pasted as paths."""

    submit = Signal()
    escape = Signal()
    files_dropped = Signal(list)
    focus_changed = Signal(bool)  # Qt style sheets have no :focus-within; the frame draws the ring

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composerInput")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.document().documentLayout().documentSizeChanged.connect(lambda _size: self.fit_height())
        self.fit_height()

    def visual_lines(self) -> int:
        """Lines as shown, wrapped ones included (a plain-text document's height is in lines)."""
        return max(1, round(self.document().documentLayout().documentSize().height()))

    def fit_height(self) -> None:
        """As tall as the text, from MIN_LINES to MAX_LINES lines."""
        lines = max(MIN_LINES, min(MAX_LINES, self.visual_lines()))
        margins = self.contentsMargins().top() + self.contentsMargins().bottom()
        extra = int(2 * self.document().documentMargin()) + margins + 2 * self.frameWidth()
        self.setFixedHeight(lines * self.fontMetrics().lineSpacing() + extra)

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() in (QEvent.Type.Polish, QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.fit_height()  # the style sheet's padding, or a new font size (View → zoom)
        return handled

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.focus_changed.emit(True)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.focus_changed.emit(False)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return local_files(source) != [] or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        files = local_files(source)
        if files:
            self.files_dropped.emit(files)
        else:
            super().insertFromMimeData(source)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.insertPlainText("\n")
            else:
                self.submit.emit()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.escape.emit()
            return
        super().keyPressEvent(event)


class Composer(QWidget):
    send_requested = Signal(str)
    stop_requested = Signal()
    think_toggled = Signal(bool)
    budget_changed = Signal(int)
    model_change_requested = Signal()
    cancel_load_requested = Signal()
    attach_requested = Signal()
    files_dropped = Signal(list)
    remove_attachment_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.input = ComposerInput(self)
        self.input.setPlaceholderText(self.tr("Message Qwen3…  (Enter sends, Shift+Enter for a new line)"))
        self.input.setTabChangesFocus(True)
        self.input.submit.connect(self._on_submit)
        self.input.escape.connect(self._on_escape)
        self.input.files_dropped.connect(self.files_dropped.emit)

        self.attach_button = QPushButton(self.tr("Attach…"))
        self.attach_button.setObjectName("attachButton")
        self.attach_button.setFlat(True)
        self.attach_button.setToolTip(
            self.tr("Attach documents to ask about: PDF, DOCX, TXT, MD, HTML, CSV, code (or drop files here)")
        )
        self.attach_button.clicked.connect(self.attach_requested.emit)
        self.pending = ChipBar(self)
        self.pending.remove_requested.connect(self.remove_attachment_requested.emit)
        self.prepare_bar = QProgressBar()
        self.prepare_bar.setObjectName("attachProgress")
        self.prepare_bar.setRange(0, 100)
        self.prepare_bar.hide()
        self.attach_error = QLabel()
        self.attach_error.setObjectName("attachError")
        self.attach_error.setWordWrap(True)  # its colour is the style sheet's (#attachError)
        self.attach_error.hide()
        # Privacy, said plainly while a remote server answers: what is sent leaves the machine.
        self.remote_notice = QLabel()
        self.remote_notice.setObjectName("remoteNotice")
        self.remote_notice.setWordWrap(True)  # amber, from the style sheet (#remoteNotice)
        self.remote_notice.hide()

        self.think = QCheckBox(self.tr("Think"))
        self.think.setObjectName("thinkToggle")
        self.think.setChecked(True)  # Qwen3's default; each conversation keeps its own
        self.wants_think = True  # the conversation's choice, kept while a one-mode model is loaded
        self.think_mode: ThinkMode = "hybrid"
        self.think.toggled.connect(self._on_think_toggled)
        self.budget = QSpinBox()
        self.budget.setRange(0, 131_072)
        self.budget.setSingleStep(256)
        self.budget.setSpecialValueText(self.tr("no limit"))
        self.budget.setSuffix(self.tr(" tokens"))
        self.budget.setToolTip(
            self.tr("Thinking budget: at most this many reasoning tokens, then the model answers")
        )
        self.budget.valueChanged.connect(self.budget_changed.emit)
        self.budget.setMinimumWidth(60)  # its suffix is clipped in a narrow window rather than widening it
        self.model_button = QPushButton(self.tr("Choose a model…"))
        self.model_button.setObjectName("modelButton")
        self.model_button.setFlat(True)
        self.model_button.setMinimumWidth(48)  # long model names are clipped in a narrow window
        self.model_button.clicked.connect(self.model_change_requested.emit)
        self.load_bar = QProgressBar()
        self.load_bar.setObjectName("loadProgress")
        self.load_bar.setRange(0, 100)
        self.load_bar.setFixedWidth(120)
        self.load_bar.setTextVisible(True)
        self.load_bar.hide()
        self.cancel_load_button = QPushButton(self.tr("Cancel"))
        self.cancel_load_button.setObjectName("cancelLoadButton")
        self.cancel_load_button.setToolTip(self.tr("Stop loading this model"))
        self.cancel_load_button.clicked.connect(self.cancel_load_requested.emit)
        self.cancel_load_button.hide()
        self.send_button = QPushButton(self.tr("Send"))
        self.send_button.setObjectName("sendButton")
        self.send_button.setDefault(True)
        self.send_button.setProperty("primary", True)
        self.send_button.clicked.connect(self._on_button)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(2)
        bar.addWidget(self.attach_button)
        bar.addWidget(self.think)
        self.budget_label = QLabel(self.tr("Budget:"))
        bar.addWidget(self.budget_label)
        bar.addWidget(self.budget)
        bar.addStretch(1)
        bar.addWidget(self.model_button)
        bar.addWidget(self.load_bar)
        bar.addWidget(self.cancel_load_button)
        bar.addWidget(self.send_button)
        self.frame = QFrame(self)
        self.frame.setObjectName("composerFrame")
        self.frame.setProperty("focused", False)
        self.input.focus_changed.connect(self._on_input_focus)
        inside = QVBoxLayout(self.frame)
        inside.setContentsMargins(10, 6, 8, 6)
        inside.setSpacing(4)
        inside.addWidget(self.pending)
        inside.addWidget(self.input)
        inside.addLayout(bar)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 10)
        layout.addWidget(self.remote_notice)
        layout.addWidget(self.prepare_bar)
        layout.addWidget(self.attach_error)
        layout.addWidget(self.frame)
        self.answering = False

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.budget_label.setVisible(self.width() >= WIDE)  # narrow: the spin box's tooltip says it

    def _on_input_focus(self, focused: bool) -> None:
        """The frame's focus ring (``#composerFrame[focused="true"]``): re-polish to restyle."""
        self.frame.setProperty("focused", focused)
        self.frame.style().unpolish(self.frame)
        self.frame.style().polish(self.frame)
        self.frame.update()

    def set_conversation_options(self, think: bool, budget: int | None) -> None:
        """Show a conversation's settings without echoing them back as user changes."""
        self.wants_think = think
        self.budget.blockSignals(True)
        self.budget.setValue(budget or 0)
        self.budget.blockSignals(False)
        self._show_think()

    def set_think_mode(self, mode: ThinkMode) -> None:
        """What the model in use does with thinking: the toggle is the user's only for hybrid models."""
        self.think_mode = mode
        self._show_think()

    def _on_think_toggled(self, on: bool) -> None:
        self.wants_think = on
        self.budget.setEnabled(on)
        self.think_toggled.emit(on)

    def _show_think(self) -> None:
        """The toggle as the model allows: the conversation's choice, or locked to never/always."""
        mode = self.think_mode
        thinks = effective_thinking(mode, self.wants_think)
        texts = {
            "hybrid": (
                self.tr("Think"),
                self.tr("Thinking mode for this conversation (Qwen3's enable_thinking)"),
            ),
            "never": (
                self.tr("Think: never"),
                self.tr(
                    "This model never thinks (an Instruct-2507 model): it answers directly. "
                    "Load a Qwen3 or a Thinking-2507 model to see its reasoning."
                ),
            ),
            "always": (
                self.tr("Think: always"),
                self.tr(
                    "This model always thinks (a Thinking-2507 model): it cannot be switched off, "
                    "but the thinking budget limits it."
                ),
            ),
        }
        text, tip = texts[mode]
        self.think.blockSignals(True)
        self.think.setText(text)
        self.think.setToolTip(tip)
        self.think.setChecked(thinks)
        self.think.setEnabled(mode == "hybrid")
        self.think.blockSignals(False)
        self.budget.setEnabled(thinks)

    def set_model_name(self, name: str | None, remote_host: str | None = None) -> None:
        """The model that answers; with ``remote_host`` it is on a server, and the composer says so."""
        if remote_host is not None:
            self.model_button.setText(self.tr("Remote: {name} @ {host}").format(name=name, host=remote_host))
            self.remote_notice.setText(
                self.tr(
                    "Answers come from {host}: your messages, and the text of attached documents, "
                    "are sent there and leave this computer."
                ).format(host=remote_host)
            )
        else:
            self.model_button.setText(
                self.tr("Model: {name}").format(name=name) if name else self.tr("Choose a model…")
            )
        self.remote_notice.setVisible(remote_host is not None)

    def set_loading(self, name: str | None, fraction: float = 0.0) -> None:
        """Show a model loading (progress bar and Cancel), or hide both with ``name=None``."""
        loading = name is not None
        self.load_bar.setRange(0, 100)
        if loading:
            self.model_button.setText(self.tr("Loading {name}…").format(name=name))
            self.load_bar.setValue(int(fraction * 100))
        self.load_bar.setVisible(loading)
        self.cancel_load_button.setVisible(loading)

    def set_connecting(self, host: str) -> None:
        """Show a server being reached (a busy bar and Cancel); ``set_loading(None)`` hides them."""
        self.model_button.setText(self.tr("Connecting to {host}…").format(host=host))
        self.load_bar.setRange(0, 0)  # a connection has no progress to show
        self.load_bar.show()
        self.cancel_load_button.show()

    def set_pending(self, attachments: list[Attachment]) -> None:
        """The files that go with the next message."""
        self.pending.set_attachments(attachments)

    def add_attach_error(self, message: str) -> None:
        """Why a file was not attached; stays until the next message is sent."""
        text = self.attach_error.text()
        self.attach_error.setText(f"{text}\n{message}" if text else message)
        self.attach_error.show()

    def clear_attach_error(self) -> None:
        self.attach_error.clear()
        self.attach_error.hide()

    def set_preparing(self, name: str | None, fraction: float = 0.0) -> None:
        """Progress of reading an attached file; ``None`` hides the bar."""
        if name is not None:
            self.prepare_bar.setFormat(self.tr("Reading {name}… %p%").format(name=name))
            self.prepare_bar.setValue(int(fraction * 100))
        self.prepare_bar.setVisible(name is not None)

    def set_answering(self, answering: bool) -> None:
        self.answering = answering
        self.send_button.setText(self.tr("Stop") if answering else self.tr("Send"))

    def _on_button(self) -> None:
        if self.answering:
            self.stop_requested.emit()
        else:
            self._on_submit()

    def _on_submit(self) -> None:
        if self.answering:
            return
        text = self.input.toPlainText().strip()
        if text:
            self.input.clear()
            self.clear_attach_error()
            self.send_requested.emit(text)

    def _on_escape(self) -> None:
        if self.answering:
            self.stop_requested.emit()
