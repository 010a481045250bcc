"""A message's actions show on hover or keyboard focus, never as permanent rows of buttons."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QEnterEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.ui.main_window import MainWindow
from app.ui.message_widget import MessageWidget
from tests.ui.conftest import open_window


def seeded(qtbot: QtBot) -> tuple[MainWindow, MessageWidget, MessageWidget]:
    window = open_window(qtbot, None)
    conv = window.store.create_conversation(title="t")
    window.store.add_message(conv.id, "user", "a question")
    window.store.add_message(conv.id, "assistant", "an answer", status="complete", think=False)
    window.refresh_list()
    window.open_conversation(conv.id)
    question, answer = window.view.widgets
    return window, question, answer


def test_actions_show_on_hover_only(qtbot: QtBot) -> None:
    window, question, answer = seeded(qtbot)
    assert not answer.actions_shown and not question.actions_shown
    qtbot.wait(20)  # laid out
    height = answer.height()
    point = QPointF(5, 5)
    QApplication.sendEvent(answer, QEnterEvent(point, point, answer.mapToGlobal(point)))
    assert answer.actions_shown and answer.regenerate_button.isVisible()
    assert not question.actions_shown
    qtbot.wait(20)
    assert answer.height() == height  # showing them does not move the text
    QApplication.sendEvent(answer, QEvent(QEvent.Type.Leave))
    assert not answer.actions_shown
    window.close()


def test_keyboard_focus_reaches_a_message_and_its_actions(qtbot: QtBot) -> None:
    window, question, answer = seeded(qtbot)
    window.activateWindow()
    question.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: question.hasFocus(), timeout=2_000)
    assert question.actions_shown and not answer.actions_shown
    question.edit_button.setFocus(Qt.FocusReason.TabFocusReason)  # the next Tab stop: still inside
    assert question.actions_shown
    answer.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: answer.actions_shown and not question.actions_shown, timeout=2_000)
    window.close()
