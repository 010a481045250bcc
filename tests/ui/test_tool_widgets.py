"""The approval dialog shows every argument and defaults to nothing running; a card says where a call is."""

from __future__ import annotations

import time
from dataclasses import replace

from PySide6.QtCore import Qt, QTimer
from pytestqt.qtbot import QtBot

from app.store.models import ToolCard
from app.ui.tool_approval import ToolApprovalDialog
from app.ui.tool_card import SUMMARY_CHARS, ToolCardWidget, summary

LONG = "x" * 5000 + "END"


def dialog(qtbot: QtBot) -> ToolApprovalDialog:
    d = ToolApprovalDialog(
        "write_file", "files", {"path": "/tmp/报告.txt", "text": LONG}, description="Writes a file."
    )
    qtbot.addWidget(d)
    return d


def test_every_argument_is_shown_in_full(qtbot: QtBot) -> None:
    d = dialog(qtbot)
    shown = d.arguments.toPlainText()
    assert LONG in shown and "/tmp/报告.txt" in shown  # nothing cut, nothing escaped away
    assert '"path": "/tmp/报告.txt",\n' in shown  # pretty JSON, one key per line
    assert d.arguments.isReadOnly()


def run(d: ToolApprovalDialog, action) -> str:  # type: ignore[no-untyped-def]
    QTimer.singleShot(0, action)
    d.exec()
    return d.decision


def test_escape_and_closing_deny(qtbot: QtBot) -> None:
    d = dialog(qtbot)
    assert run(d, lambda: qtbot.keyClick(d, Qt.Key.Key_Escape)) == "deny"
    d = dialog(qtbot)
    assert run(d, d.close) == "deny"
    d = dialog(qtbot)
    assert run(d, d.deny_button.click) == "deny"


def test_allow_once_is_the_default_and_always_is_explicit(qtbot: QtBot) -> None:
    d = dialog(qtbot)
    assert d.once_button.isDefault()
    assert run(d, d.once_button.click) == "once"
    d = dialog(qtbot)
    assert run(d, d.always_button.click) == "always"


def Card() -> ToolCard:
    return ToolCard(id="call_1", server="weather", name="get_weather", arguments={"city": "Paris", "days": 3})


def test_a_card_follows_its_call(qtbot: QtBot) -> None:
    card = Card()
    w = ToolCardWidget(card)
    qtbot.addWidget(w)
    w.show()
    assert w.toggle.text() == 'get_weather(city="Paris", days=3)'
    assert w.state_label.text() == "waiting for approval" and not w.details.isVisible()
    w.update_card(replace(card, state="running", started=time.time() - 4))
    assert w.state_label.text() == "running… 4 s"
    w.update_card(replace(card, state="done", result="18 °C, light rain"))
    assert w.state_label.text() == "done"
    w.toggle.click()
    assert w.details.isVisible() and "18 °C, light rain" in w.details.toPlainText()
    assert '"city": "Paris"' in w.details.toPlainText()
    w.update_card(replace(card, state="denied"))
    assert w.state_label.text() == "denied"


def test_summaries_are_one_short_line() -> None:
    line = summary({"text": "a\nb" * 100})
    assert "\n" not in line and len(line) == SUMMARY_CHARS and line.endswith("…")
    assert summary({}, raw='{"name": oops') == '{"name": oops'
