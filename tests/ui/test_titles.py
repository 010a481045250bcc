"""Model-written titles: after the first answer, never in the way of the next turn, never over a rename."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.backend.protocol import ChatMessage
from app.chat.titles import TITLE_INSTRUCTION
from app.chat.turn_request import assemble_turn
from app.ui.main_window import MainWindow
from app.ui.title_writer import _as_sent
from tests.ui.conftest import send

REPLY = "Hello! How can I help?"


def title_of(window: MainWindow) -> str:
    return window.store.get_conversation(window.controller.conversation.id).title


def test_the_model_titles_a_conversation_after_its_first_answer(qtbot: QtBot, window: MainWindow) -> None:
    send(qtbot, window, "hi")
    assert title_of(window) == "hi"  # the first question, until the model's arrives
    qtbot.waitUntil(lambda: title_of(window) != "hi", timeout=20_000)
    assert title_of(window) == REPLY  # the scripted model says this to everything, titles included
    qtbot.waitUntil(lambda: window.title.text() == REPLY, timeout=5_000)
    assert REPLY in window.conversations.list.item(0).text()
    send(qtbot, window, "and now?")  # later answers leave the title alone
    qtbot.wait(300)
    assert title_of(window) == REPLY and window.controller.titles.cancelled == 0


def test_a_rename_by_hand_wins(qtbot: QtBot, window: MainWindow) -> None:
    send(qtbot, window, "hi")
    window._rename(window.controller.conversation.id, "My own title")
    qtbot.waitUntil(lambda: window.controller.titles._call is None, timeout=20_000)
    qtbot.wait(100)
    assert title_of(window) == "My own title"


def test_the_next_turn_never_waits_for_a_title(qtbot: QtBot, window: MainWindow) -> None:
    send(qtbot, window, "hi")
    assert window.controller.titles._call is not None  # being written…
    send(qtbot, window, "quick, a second question")  # …and given up for the turn
    assert window.controller.titles.cancelled == 1
    assert window.view.widgets[-1].message.content == REPLY
    qtbot.wait(300)
    assert title_of(window) == "hi"


def test_the_title_prompt_shares_the_next_turns_prefix(qtbot: QtBot, window: MainWindow) -> None:
    conv = window.store.create_conversation(title="t", system_prompt="Be brief.")
    q = window.store.add_message(conv.id, "user", "hi")
    window.store.update_message(q.id, sent_content="hi, with the document's text")
    window.store.add_message(conv.id, "assistant", REPLY, reasoning="never sent")
    title_history = _as_sent(conv, window.store.messages(conv.id))
    window.store.add_message(conv.id, "user", "next")
    request, _documents = assemble_turn(window.store, window.store.get_conversation(conv.id), think=True)
    assert list(request.messages[:-1]) == title_history  # the KV cache holds all of it
    assert title_history[-1] == ChatMessage("assistant", REPLY)
    assert TITLE_INSTRUCTION.startswith("Write a title")
