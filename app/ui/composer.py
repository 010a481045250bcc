"""Where the user writes: Enter sends, Shift+Enter breaks the line, Send turns into Stop.

Next to the input: the conversation's think toggle and thinking budget, and the
active model with a button to switch.

Signals:
    send_requested(str): the text to send (already stripped, never empty).
    stop_requested(): Stop clicked or Esc pressed while answering.
    think_toggled(bool): the think toggle changed (by the user).
    budget_changed(int): the thinking budget changed (0 = no limit).
    model_change_requested(): the model button was clicked.
    cancel_load_requested(): "Cancel" next to a model that is loading.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)


class ComposerInput(QPlainTextEdit):
    """Multi-line input with chat-app keys."""

    submit = Signal()
    escape = Signal()

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

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.input = ComposerInput(self)
        self.input.setPlaceholderText("Message Qwen3…  (Enter sends, Shift+Enter for a new line)")
        self.input.setTabChangesFocus(True)
        lines = self.input.fontMetrics().lineSpacing()
        self.input.setFixedHeight(lines * 3 + 14)  # three lines; longer text scrolls
        self.input.submit.connect(self._on_submit)
        self.input.escape.connect(self._on_escape)

        self.think = QCheckBox("Think")
        self.think.setObjectName("thinkToggle")
        self.think.setToolTip("Thinking mode for this conversation (Qwen3's enable_thinking)")
        self.think.toggled.connect(self.think_toggled.emit)
        self.think.setChecked(True)  # Qwen3's default; each conversation keeps its own
        self.budget = QSpinBox()
        self.think.toggled.connect(self.budget.setEnabled)
        self.budget.setRange(0, 131_072)
        self.budget.setSingleStep(256)
        self.budget.setSpecialValueText("no limit")
        self.budget.setSuffix(" tokens")
        self.budget.setToolTip("Thinking budget: at most this many reasoning tokens, then the model answers")
        self.budget.valueChanged.connect(self.budget_changed.emit)
        self.model_button = QPushButton("Choose a model…")
        self.model_button.setObjectName("modelButton")
        self.model_button.setFlat(True)
        self.model_button.clicked.connect(self.model_change_requested.emit)
        self.load_bar = QProgressBar()
        self.load_bar.setObjectName("loadProgress")
        self.load_bar.setRange(0, 100)
        self.load_bar.setFixedWidth(120)
        self.load_bar.setTextVisible(True)
        self.load_bar.hide()
        self.cancel_load_button = QPushButton("Cancel")
        self.cancel_load_button.setObjectName("cancelLoadButton")
        self.cancel_load_button.setToolTip("Stop loading this model")
        self.cancel_load_button.clicked.connect(self.cancel_load_requested.emit)
        self.cancel_load_button.hide()
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("sendButton")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self._on_button)

        bar = QHBoxLayout()
        bar.addWidget(self.think)
        bar.addWidget(QLabel("Budget:"))
        bar.addWidget(self.budget)
        bar.addStretch(1)
        bar.addWidget(self.model_button)
        bar.addWidget(self.load_bar)
        bar.addWidget(self.cancel_load_button)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 10)
        layout.addLayout(bar)
        layout.addLayout(row)
        self.answering = False

    def set_conversation_options(self, think: bool, budget: int | None) -> None:
        """Show a conversation's settings without echoing them back as user changes."""
        for w in (self.think, self.budget):
            w.blockSignals(True)
        self.think.setChecked(think)
        self.budget.setValue(budget or 0)
        self.budget.setEnabled(think)
        for w in (self.think, self.budget):
            w.blockSignals(False)

    def set_model_name(self, name: str | None) -> None:
        self.model_button.setText(f"Model: {name}" if name else "Choose a model…")

    def set_loading(self, name: str | None, fraction: float = 0.0) -> None:
        """Show a model loading (progress bar and Cancel), or hide both with ``name=None``."""
        loading = name is not None
        if loading:
            self.model_button.setText(f"Loading {name}…")
            self.load_bar.setValue(int(fraction * 100))
        self.load_bar.setVisible(loading)
        self.cancel_load_button.setVisible(loading)

    def set_answering(self, answering: bool) -> None:
        self.answering = answering
        self.send_button.setText("Stop" if answering else "Send")

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
            self.send_requested.emit(text)

    def _on_escape(self) -> None:
        if self.answering:
            self.stop_requested.emit()
