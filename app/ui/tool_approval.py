"""Asking before a tool runs: which tool, whose, and every argument, in full and readable.

Jan's users approved calls blind when the arguments were blurred (janhq/jan #5656): here they
are pretty JSON in a scrolling box, never cut. Esc and closing the dialog mean Deny; Allow once
is the default action, Always allow is for this tool in this conversation only.
"""

from __future__ import annotations

import html
import json
from typing import Any, Literal

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

Decision = Literal["deny", "once", "always"]


def pretty_arguments(arguments: dict[str, Any] | None, raw: str = "") -> str:
    """The arguments as indented JSON (non-ASCII kept readable); the raw text when they did not parse."""
    if arguments:
        return json.dumps(arguments, indent=2, ensure_ascii=False, sort_keys=False)
    return raw or "{}"


class ToolApprovalDialog(QDialog):
    def __init__(
        self,
        tool: str,
        server: str,
        arguments: dict[str, Any] | None,
        *,
        description: str = "",
        raw: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("toolApproval")
        self.setWindowTitle(self.tr("Allow a tool call?"))
        self.decision: Decision = "deny"
        heading = QLabel(
            self.tr("The model wants to use <b>{tool}</b> from the MCP server <b>{server}</b>.").format(
                tool=html.escape(tool), server=html.escape(server)
            )
        )
        heading.setWordWrap(True)
        about = QLabel(description)
        about.setWordWrap(True)
        about.setObjectName("status")
        about.setVisible(bool(description))
        self.arguments = QPlainTextEdit(pretty_arguments(arguments, raw))
        self.arguments.setObjectName("toolArguments")
        self.arguments.setReadOnly(True)
        self.arguments.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.arguments.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)  # long values wrap, not cut
        self.arguments.setMinimumSize(480, 160)
        self.deny_button = QPushButton(self.tr("Deny"))
        self.deny_button.clicked.connect(self.reject)
        self.always_button = QPushButton(self.tr("Always allow this tool in this conversation"))
        self.always_button.clicked.connect(lambda: self._decide("always"))
        self.once_button = QPushButton(self.tr("Allow once"))
        self.once_button.setProperty("primary", True)
        self.once_button.clicked.connect(lambda: self._decide("once"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.deny_button)
        buttons.addStretch(1)
        buttons.addWidget(self.always_button)
        buttons.addWidget(self.once_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(about)
        layout.addWidget(QLabel(self.tr("Arguments:")))
        layout.addWidget(self.arguments, 1)
        layout.addLayout(buttons)
        self.deny_button.setAutoDefault(False)
        self.always_button.setAutoDefault(False)
        self.once_button.setDefault(True)
        self.resize(620, 420)

    def _decide(self, decision: Decision) -> None:
        self.decision = decision
        self.accept()

    def reject(self) -> None:
        """Deny, Esc and closing the window all end here."""
        self.decision = "deny"
        super().reject()
