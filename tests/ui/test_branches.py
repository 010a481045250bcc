"""Edit and Regenerate make versions: nothing is deleted, ‹ 2 / 3 › switches, the engine sees the screen."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.ui.main_window import MainWindow
from tests.ui.conftest import open_window, send

REPLY = "Hello! How can I help?"


def shown(window: MainWindow) -> list[tuple[str, str]]:
    return [(w.message.role, w.message.content) for w in window.view.widgets]


def history(window: MainWindow) -> list[str]:
    request, _documents = window.controller._request()
    return [m.content for m in request.messages]


def test_regenerate_keeps_the_old_answer_one_click_away(qtbot: QtBot, window: MainWindow) -> None:
    send(qtbot, window, "hi")
    first = window.view.widgets[-1]
    first_id = first.message.id
    assert not first.versions.isVisible()  # one version: no switcher
    qtbot.mouseClick(first.regenerate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.controller.answering and window.view.widgets[-1] is not first)
    cid = window.controller.conversation.id
    assert len(window.store.all_messages(cid)) == 3  # the first answer is still there
    second = window.view.widgets[-1]
    assert second.message.id != first_id and second.versions.label.text() == "2 / 2"
    assert second.versions.isVisible() and not second.versions.next.isEnabled()
    second.versions.previous.click()
    back = window.view.widgets[-1]
    assert back.message.id == first_id and back.versions.label.text() == "1 / 2"
    assert window.store.messages(cid)[-1].id == first_id  # the branch on screen is stored
    assert len(window.view.widgets) == 2


def test_edit_makes_a_branch_and_each_keeps_its_later_turns(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    send(qtbot, window, "first")
    send(qtbot, window, "second")

    def no_question(*_a, **_k):
        raise AssertionError("nothing is replaced, so nothing needs confirming")

    monkeypatch.setattr(QMessageBox, "question", no_question)
    question = window.view.widgets[0]
    question.edit_button.click()  # the bubble becomes an editor, in place
    assert question.editing and not question.bubble.isVisible()
    assert question.editor is not None and question.editor.text.toPlainText() == "first"
    question.editor.text.setPlainText("first, edited")
    qtbot.mouseClick(question.editor.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.controller.answering)
    assert shown(window) == [("user", "first, edited"), ("assistant", REPLY)]
    assert window.view.widgets[0].versions.label.text() == "2 / 2"
    assert history(window) == ["first, edited", REPLY]  # what the next turn sends

    window.view.widgets[0].versions.previous.click()  # the old branch, with its own later turns
    old_branch = [("user", "first"), ("assistant", REPLY), ("user", "second"), ("assistant", REPLY)]
    assert shown(window) == old_branch
    assert history(window) == ["first", REPLY, "second", REPLY]
    send(qtbot, window, "third")  # continuing the old branch
    assert [c for _r, c in shown(window)][-2:] == ["third", REPLY]

    window.view.widgets[0].versions.next.click()
    assert shown(window) == [("user", "first, edited"), ("assistant", REPLY)]
    window.view.widgets[0].versions.previous.click()  # back again: the newest turn of that branch
    assert len(window.view.widgets) == 6 and window.view.widgets[-2].message.content == "third"


def test_export_writes_the_branch_on_screen_and_json_keeps_all(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    send(qtbot, window, "first")
    send(qtbot, window, "second")
    window.controller.edit_and_resend(window.view.widgets[0].message.id, "first, edited")
    qtbot.waitUntil(lambda: not window.controller.answering)
    window.export_to(tmp_path / "c.md")
    markdown = (tmp_path / "c.md").read_text(encoding="utf-8")
    assert "first, edited" in markdown and "second" not in markdown
    window.export_to(tmp_path / "c.json")
    data = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert [m["content"] for m in data["messages"]] == ["first, edited", REPLY]
    assert {m["content"] for m in data["branches"]} >= {"first", "second", "first, edited"}
    assert len(data["branches"]) == 6


def test_a_crash_mid_answer_on_a_branch_keeps_both_versions(qtbot: QtBot, looping_model: Path) -> None:
    window = open_window(qtbot, looping_model)
    window.composer.budget.setValue(40)  # the first answer ends: thinking budget, then the answer
    send(qtbot, window, "hi")
    first = window.view.widgets[-1].message.id
    window.composer.budget.setValue(0)
    window.controller.regenerate(first)  # a second version that thinks without end…
    qtbot.waitUntil(lambda: len(window.view.widgets[-1].reasoning.text()) > 50, timeout=20_000)
    os.kill(window.bridge.engine.worker_pid or 0, signal.SIGKILL)  # …until llama.cpp's process dies
    qtbot.waitUntil(lambda: not window.controller.answering, timeout=20_000)
    crashed = window.view.widgets[-1]
    assert crashed.error_box.isVisible() and crashed.versions.label.text() == "2 / 2"
    assert window.store.get_message(crashed.message.id).status == "error"
    assert len(crashed.message.reasoning) > 50  # what it wrote is kept
    crashed.versions.previous.click()
    assert window.view.widgets[-1].message.id == first
    assert window.store.get_message(first).status == "complete"
    window.close()


def test_cancel_leaves_the_question_as_it_was(qtbot: QtBot, window: MainWindow) -> None:
    send(qtbot, window, "first")
    question = window.view.widgets[0]
    question.begin_edit()
    assert question.editor is not None
    question.editor.text.setPlainText("never sent")
    qtbot.mouseClick(question.editor.cancel_button, Qt.MouseButton.LeftButton)
    assert not question.editing and question.bubble.isVisible()
    assert len(window.store.all_messages(window.controller.conversation.id)) == 2
    question.begin_edit()  # it starts again from the question, not from what was discarded
    assert question.editor.text.toPlainText() == "first"
