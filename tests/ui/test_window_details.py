"""Smaller promises of the chat window: geometry, copy buttons, settings, pinning."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from app.ui.conversation_settings import ConversationSettingsDialog
from app.ui.main_window import MainWindow
from tests.ui.conftest import open_window, send


def test_geometry_and_splitter_are_remembered(qtbot: QtBot) -> None:
    window = open_window(qtbot, None)
    window.resize(700, 520)
    window.splitter.setSizes([300, 400])
    window.close()
    again = open_window(qtbot, None)
    assert (again.width(), again.height()) == (700, 520)
    assert abs(again.splitter.sizes()[0] - 300) <= 2
    again.close()


def test_code_block_and_message_copy_buttons(qtbot: QtBot, window: MainWindow) -> None:
    conv = window.store.create_conversation(title="code")
    window.store.add_message(conv.id, "user", "code please")
    text = "Two blocks:\n\n```python\nprint(1)\n```\n\n```sh\necho two\n```"
    window.store.add_message(conv.id, "assistant", text, status="complete")
    window.refresh_list()
    window.open_conversation(conv.id)
    answer = window.view.widgets[-1].answer
    answer.anchorClicked.emit(QUrl("copy-code:1"))
    assert QGuiApplication.clipboard().text() == "echo two"
    window.view.widgets[-1].copy_button.click()
    assert QGuiApplication.clipboard().text().startswith("Two blocks:")


def test_conversation_settings_round_trip(qtbot: QtBot, window: MainWindow) -> None:
    conv = window.store.create_conversation(title="s", system_prompt="Be brief.", sampling={"top_k": 5})
    dialog = ConversationSettingsDialog(conv)
    qtbot.addWidget(dialog)
    prompt, sampling = dialog.values()
    assert prompt == "Be brief." and sampling == {"top_k": 5}
    dialog.fields["temperature"].setValue(0.3)
    dialog.fields["top_k"].setValue(dialog.fields["top_k"].minimum())  # back to the preset
    assert dialog.values()[1] == {"temperature": 0.3}


def test_the_system_prompt_and_overrides_reach_the_engine(qtbot: QtBot, window: MainWindow) -> None:
    send(qtbot, window, "hi")
    cid = window.controller.conversation.id
    window.store.update_conversation(cid, system_prompt="Answer in French.", sampling={"temperature": 0.9})
    window.controller.conversation = window.store.get_conversation(cid)
    request, _documents = window.controller._request()
    assert request.messages[0].role == "system" and request.messages[0].content == "Answer in French."
    assert request.sampling.temperature == 0.9 and request.enable_thinking


def test_view_stays_where_the_user_scrolled(qtbot: QtBot, looping_model: Path) -> None:
    window = open_window(qtbot, looping_model)
    window.resize(800, 500)
    conv = window.store.create_conversation(title="long")
    for i in range(4):  # earlier turns, so there is somewhere to scroll to
        window.store.add_message(conv.id, "user", f"question {i}")
        window.store.add_message(conv.id, "assistant", "An answer.\n\n" * 12, status="complete", think=False)
    window.refresh_list()
    window.open_conversation(conv.id)
    bar = window.view.verticalScrollBar()
    window.composer.input.setPlainText("go")
    window.composer._on_submit()
    qtbot.waitUntil(lambda: len(window.view.widgets[-1].reasoning.text()) > 40, timeout=20_000)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum() > 200, timeout=5_000)  # pinned as text arrives
    window.controller.stop()
    qtbot.waitUntil(lambda: not window.controller.answering, timeout=5_000)
    window.composer.input.setPlainText("go on")
    window.composer._on_submit()
    bar.setValue(0)  # the user scrolls up to read
    answer = window.view.widgets[-1]
    start = answer.height()
    qtbot.waitUntil(lambda: answer.height() > start + 100, timeout=20_000)  # the thinking box grows
    assert bar.value() == 0 and not window.view.pinned
    window.controller.stop()
    qtbot.waitUntil(lambda: not window.controller.answering, timeout=5_000)
    window.close()


def test_one_theme_is_ticked_at_a_time(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QMenu

    window = open_window(qtbot, None)
    theme = next(m for m in window.findChildren(QMenu) if "Theme" in m.title())
    system, light, dark = theme.actions()
    dark.trigger()
    assert [a.isChecked() for a in (system, light, dark)] == [False, False, True]
    light.trigger()
    assert [a.isChecked() for a in (system, light, dark)] == [False, True, False]
    assert window.settings.get("theme") == "light"
    window.close()
