"""A tool call inside an answer: a compact card between the text before and after it.

Tool name, a one-line summary of the arguments, the state (waiting for approval, running with
its elapsed time, done, denied, failed) and the result, folded until asked for.
"""

from __future__ import annotations

import json
import time
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QToolButton, QVBoxLayout, QWidget

from app.store.models import ToolCard
from app.ui.tool_approval import pretty_arguments

SUMMARY_CHARS = 80
RESULT_LINES = 14  # the result box's height; longer results scroll inside it
STATES = {
    "waiting": QT_TRANSLATE_NOOP("ToolCardWidget", "waiting for approval"),
    "running": QT_TRANSLATE_NOOP("ToolCardWidget", "running… {seconds} s"),
    "done": QT_TRANSLATE_NOOP("ToolCardWidget", "done"),
    "denied": QT_TRANSLATE_NOOP("ToolCardWidget", "denied"),
    "failed": QT_TRANSLATE_NOOP("ToolCardWidget", "failed"),
}


def summary(arguments: dict[str, Any] | None, raw: str = "") -> str:
    """One line: ``city="Paris", days=3``, cut with … past SUMMARY_CHARS."""
    if arguments:
        parts = [f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in arguments.items()]
        line = ", ".join(parts)
    else:
        line = " ".join(raw.split())
    return line if len(line) <= SUMMARY_CHARS else line[: SUMMARY_CHARS - 1] + "…"


class ToolCardWidget(QFrame):
    def __init__(self, card: ToolCard, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("toolCard")
        self.toggle = QToolButton(self)
        self.toggle.setObjectName("toolCardToggle")
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.toggled.connect(self._on_toggled)
        self.state_label = QLabel(self)
        self.state_label.setObjectName("toolCardState")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.toggle, 1, Qt.AlignmentFlag.AlignLeft)
        row.addWidget(self.state_label)
        self.details = QPlainTextEdit(self)
        self.details.setObjectName("toolCardResult")
        self.details.setReadOnly(True)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.details)
        self.card = card
        self.update_card(card)

    @property
    def expanded(self) -> bool:
        return self.toggle.isChecked()

    def update_card(self, card: ToolCard) -> None:
        """Show the card's current state (called as it moves: waiting, running, done…)."""
        self.card = card
        self.toggle.setText(f"{card.name}({summary(card.arguments, card.raw)})")
        self.toggle.setToolTip(self.tr("{tool} from {server}").format(tool=card.name, server=card.server))
        self.setProperty("state", card.state)
        self.style().unpolish(self)
        self.style().polish(self)
        self.tick()
        self._fill()

    def tick(self) -> None:
        """Refresh "running… N s" (the window calls this on its paint timer)."""
        text = QCoreApplication.translate("ToolCardWidget", str(STATES.get(self.card.state, self.card.state)))
        if self.card.state == "running" and self.card.started is not None:
            text = text.format(seconds=int(time.time() - self.card.started))
        self.state_label.setText(text)

    def _on_toggled(self, on: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.details.setVisible(on)
        self._fill()

    def _fill(self) -> None:
        if not self.details.isVisible():
            return
        arguments = pretty_arguments(self.card.arguments, self.card.raw)
        heading = self.tr("Arguments") + "\n" + arguments
        result = self.card.result or ("" if self.card.state in ("waiting", "running") else "—")
        text = heading + "\n\n" + self.tr("Result") + "\n" + result
        self.details.setPlainText(text)
        # As tall as the text, up to RESULT_LINES; a long result scrolls inside.
        metrics = self.details.fontMetrics()
        width = max(1, self.details.viewport().width() // max(1, metrics.averageCharWidth()))
        lines = sum(1 + len(line) // width for line in text[:20_000].splitlines())
        self.details.setFixedHeight(min(lines, RESULT_LINES) * metrics.lineSpacing() + 12)
