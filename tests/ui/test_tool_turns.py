"""Tools in the window, end to end: a scripted Qwen3 GGUF that calls get_weather, a real MCP server
over stdio, the user's consent, cards inside the answer, and the calls kept with the message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.models.synthetic import WEATHER_CALL, Script, write_scripted_gguf
from app.tools.host import ToolHost
from app.ui.main_window import MainWindow
from app.ui.tool_approval import ToolApprovalDialog
from tests.tools.conftest import stdio_weather
from tests.ui.conftest import open_window

CALLER = Script(answer=("Checking", " the", " weather", "!"), tool_call=WEATHER_CALL)


@pytest.fixture
def caller(tmp_path: Path) -> Path:
    return write_scripted_gguf(tmp_path / "caller.gguf", CALLER)


@pytest.fixture
def window(qtbot: QtBot, caller: Path) -> Iterator[MainWindow]:
    w = open_window(qtbot, caller)
    host = ToolHost({"weather": stdio_weather()})
    assert host.start("weather", wait_s=30).status == "ready"
    w.controller.tools.attach(host)
    yield w
    w.close()
    host.close()


def question(qtbot: QtBot, window: MainWindow) -> ToolApprovalDialog:
    qtbot.waitUntil(lambda: window.controller.tools.dialog is not None, timeout=30_000)
    dialog = window.controller.tools.dialog
    assert dialog is not None
    return dialog


def ask(qtbot: QtBot, window: MainWindow, text: str) -> None:
    window.composer.input.setPlainText(text)
    qtbot.keyClick(window.composer.input, Qt.Key.Key_Return)


def test_a_call_asks_first_then_its_card_sits_in_the_answer(qtbot: QtBot, window: MainWindow) -> None:
    window.composer.think.setChecked(False)
    ask(qtbot, window, "Weather in Paris?")
    dialog = question(qtbot, window)
    assert '"city": "Paris"' in dialog.arguments.toPlainText()  # every argument, readable
    answer = window.view.widgets[-1]
    card = next(iter(answer.pieces.cards.values()))
    assert card.state_label.text() == "waiting for approval"
    assert answer.answer.toPlainText().strip() == "Checking the weather!"  # the text before the call
    dialog.always_button.click()  # later calls of this tool in this conversation are not asked
    qtbot.waitUntil(lambda: not window.controller.answering, timeout=60_000)
    stored = window.store.get_message(answer.message.id)
    # The scripted model calls again after every result: the round limit ends the turn.
    assert stored.finish_reason == "tool_rounds"
    conv = window.store.get_conversation(stored.conversation_id)
    assert conv.allowed_tools == ("get_weather",)  # "Always allow" is kept with the conversation
    assert [c.state for c in stored.tool_cards][:2] == ["done", "done"]
    assert "Paris" in stored.tool_cards[0].result  # the MCP server's answer, kept with the message
    widget = window.view.widgets[-1]
    assert len(widget.pieces.cards) == len(stored.tool_cards)
    first = next(iter(widget.pieces.cards.values()))
    first.toggle.click()
    assert "Paris" in first.details.toPlainText()
    # Reopened from the history, the cards are where they were.
    window.open_conversation(stored.conversation_id)
    again = window.view.widgets[-1]
    assert len(again.pieces.cards) == len(stored.tool_cards)
    assert again.answer.toPlainText().strip() == "Checking the weather!"
    # The next turn sends the calls and their results back as the model saw them.
    request, _documents = window.controller._request()
    roles = [m.role for m in request.messages]
    assert "tool" in roles and any(m.tool_calls for m in request.messages)


def test_deny_tells_the_model_and_runs_nothing(qtbot: QtBot, window: MainWindow) -> None:
    window.composer.think.setChecked(False)
    ask(qtbot, window, "Weather in Paris?")
    question(qtbot, window).deny_button.click()
    qtbot.waitUntil(lambda: window.controller.tools.dialog is not None or not window.controller.answering,
                    timeout=30_000)  # fmt: skip
    window.controller.stop()  # the model asks again: stopping answers the open question with Deny
    qtbot.waitUntil(lambda: not window.controller.answering, timeout=30_000)
    stored = window.store.get_message(window.view.widgets[-1].message.id)
    assert stored.tool_cards and stored.tool_cards[0].state == "denied"
    assert all(c.state in ("denied", "failed") for c in stored.tool_cards)


def test_the_conversations_round_limit_is_used(qtbot: QtBot, window: MainWindow) -> None:
    window.composer.think.setChecked(False)
    window.new_conversation()
    conv = window.controller.current.update(tool_rounds=2, allowed_tools=("get_weather",), touch=False)
    ask(qtbot, window, "Weather in Paris?")  # allowed already: no question
    qtbot.waitUntil(lambda: not window.controller.answering, timeout=60_000)
    assert window.controller.tools.dialog is None
    stored = window.store.get_message(window.view.widgets[-1].message.id)
    assert stored.finish_reason == "tool_rounds" and stored.conversation_id == conv.id
    assert {c.round for c in stored.tool_cards} == {0, 1}  # two rounds, as the conversation says


def test_tools_in_thinking_mode(qtbot: QtBot, window: MainWindow) -> None:
    assert window.composer.think.isChecked()
    window.new_conversation()
    window.controller.current.update(tool_rounds=2, allowed_tools=("get_weather",), touch=False)
    ask(qtbot, window, "Weather in Paris?")
    qtbot.waitUntil(lambda: not window.controller.answering, timeout=60_000)
    answer = window.view.widgets[-1]
    stored = window.store.get_message(answer.message.id)
    assert stored.reasoning.startswith("The user greets me.")  # it thought first (each round), then called
    assert stored.tool_cards and stored.tool_cards[0].arguments == {"city": "Paris"}
    assert stored.tool_cards[0].state == "done" and "Paris" in stored.tool_cards[0].result
    assert answer.reasoning is not None and answer.reasoning.isVisible()
