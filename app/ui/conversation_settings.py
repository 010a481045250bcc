"""A conversation's system prompt and sampling overrides (empty = Qwen's preset)."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from app.backend.sampling import NON_THINKING_PRESET, THINKING_PRESET
from app.chat.tool_turn import DEFAULT_ROUNDS as DEFAULT_TOOL_ROUNDS
from app.store.models import Conversation

# (key, label, minimum, maximum, step, decimals); -1 shows "preset". Labels are translated when shown.
FIELDS = [
    ("temperature", QT_TRANSLATE_NOOP("ConversationSettingsDialog", "Temperature"), 0.0, 2.0, 0.05, 2),
    ("top_p", QT_TRANSLATE_NOOP("ConversationSettingsDialog", "Top-p"), 0.01, 1.0, 0.05, 2),
    ("top_k", QT_TRANSLATE_NOOP("ConversationSettingsDialog", "Top-k"), 0, 200, 1, 0),
    ("min_p", QT_TRANSLATE_NOOP("ConversationSettingsDialog", "Min-p"), 0.0, 1.0, 0.01, 2),
    (
        "presence_penalty",
        QT_TRANSLATE_NOOP("ConversationSettingsDialog", "Presence penalty"),
        0.0,
        2.0,
        0.1,
        2,
    ),
    ("seed", QT_TRANSLATE_NOOP("ConversationSettingsDialog", "Seed"), 0, 2**31 - 1, 1, 0),
]


class ConversationSettingsDialog(QDialog):
    def __init__(self, conversation: Conversation, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Conversation settings"))
        form = QFormLayout(self)
        self.system_prompt = QPlainTextEdit(conversation.system_prompt)
        self.system_prompt.setPlaceholderText(self.tr("Optional instructions for the whole conversation"))
        form.addRow(self.tr("System prompt"), self.system_prompt)
        preset = THINKING_PRESET if conversation.think else NON_THINKING_PRESET
        form.addRow(
            QLabel(
                self.tr("Sampling (empty = Qwen's thinking preset)")
                if conversation.think
                else self.tr("Sampling (empty = Qwen's non-thinking preset)")
            )
        )
        self.fields: dict[str, QSpinBox | QDoubleSpinBox] = {}
        for key, label, lo, hi, step, decimals in FIELDS:
            value = conversation.sampling.get(key)
            box: QSpinBox | QDoubleSpinBox
            if decimals:
                dbox = QDoubleSpinBox()
                dbox.setDecimals(decimals)
                dbox.setRange(lo - step, hi)
                dbox.setSingleStep(step)
                dbox.setValue(dbox.minimum() if value is None else float(value))
                box = dbox
            else:
                ibox = QSpinBox()
                ibox.setRange(int(lo) - 1, int(hi))
                ibox.setValue(ibox.minimum() if value is None else int(value))
                box = ibox
            default = getattr(preset, key, None)
            box.setSpecialValueText(
                self.tr("preset ({value})").format(value=default)
                if default is not None
                else self.tr("random")
            )
            self.fields[key] = box
            form.addRow(self.tr(str(label)), box)
        self.rounds = QSpinBox()
        self.rounds.setRange(0, 64)  # 0 shows "default": the conversation follows the app's default
        self.rounds.setSpecialValueText(self.tr("default ({n})").format(n=DEFAULT_TOOL_ROUNDS))
        self.rounds.setValue(conversation.tool_rounds or 0)
        self.rounds.setToolTip(self.tr("How many rounds of tool calls one answer may use before it stops"))
        form.addRow(self.tr("Tool-call rounds per answer"), self.rounds)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[str, dict[str, float | int]]:
        sampling: dict[str, float | int] = {}
        for key, box in self.fields.items():
            if box.value() != box.minimum():
                sampling[key] = box.value()
        return self.system_prompt.toPlainText().strip(), sampling

    def tool_rounds(self) -> int | None:
        """The conversation's limit of tool-call rounds; None: the default."""
        return self.rounds.value() or None
