"""The window with a remote server: connect from the dialog, chat with reasoning panes, see plainly
that the conversation leaves the machine, stop, and go back to the local model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.chat.titles import TITLE_INSTRUCTION
from app.ui.main_window import MainWindow
from app.ui.remote_dialog import RemoteDialog
from tests.remote.fake_openai import MODEL, FakeOpenAI, closed_port
from tests.ui.conftest import open_window, send


def turns(fake: Any) -> list[Any]:
    """The chat requests of turns (a conversation's title is asked for too, with the same server)."""
    return [c for c in fake.chats if c.body and c.body["messages"][-1]["content"] != TITLE_INSTRUCTION]


def connect(qtbot: QtBot, window: MainWindow, base_url: str, key: str = "") -> RemoteDialog:
    dialog = window.open_remote_dialog()
    dialog.kind.setCurrentIndex(dialog.kind.findData("vllm"))
    dialog.address.setText(base_url)
    dialog.key.setText(key)
    dialog.list_models()
    qtbot.waitUntil(lambda: dialog.list_button.isEnabled(), timeout=20_000)
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.controller.connecting, timeout=20_000)
    return dialog


def test_connect_and_chat_with_reasoning_marked_remote(
    qtbot: QtBot, fake: FakeOpenAI, scripted_model: Path
) -> None:
    window = open_window(qtbot, scripted_model)  # a local model is loaded: the server takes over
    try:
        dialog = connect(qtbot, window, fake.base_url)
        assert [dialog.model.itemText(i) for i in range(dialog.model.count())] == [MODEL]
        assert not dialog.isVisible()  # it closes once the server answered
        host = f"127.0.0.1:{fake.port}"
        assert window.bridge.remote is not None and window.bridge.remote.model == MODEL
        assert window.composer.model_button.text() == f"Remote: {MODEL} @ {host}"
        assert window.composer.remote_notice.isVisible()
        assert host in window.composer.remote_notice.text()
        assert "leave this computer" in window.composer.remote_notice.text()

        send(qtbot, window, "hi")
        answer = window.view.widgets[-1]
        stored = answer.message
        assert stored.status == "complete", stored.error
        assert (stored.reasoning, stored.content) == ("The user greets me.", "Hello! How can I help?")
        assert answer.reasoning is not None and "The user greets me." in answer.reasoning.text()
        assert stored.remote == host and stored.model == MODEL
        assert f"{MODEL} @ {host} (remote)" in answer.findChild(type(window.title), "role").text()
        conv = window.store.get_conversation(stored.conversation_id)
        assert conv.remote == host
        assert window.remote_badge.isVisible() and host in window.remote_badge.text()
        assert f"remote: {host}" in window.conversations.list.item(0).text()
        body = turns(fake)[-1].body
        assert body is not None and body["chat_template_kwargs"] == {"enable_thinking": True}
        assert body["model"] == MODEL and body["stream"] is True

        window.composer.think.setChecked(False)
        send(qtbot, window, "and now?")
        body = turns(fake)[-1].body
        assert body is not None and body["chat_template_kwargs"] == {"enable_thinking": False}
        # History carries answers only, never the reasoning.
        assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
        assert "greets" not in body["messages"][1]["content"]

        # Back to the local model: the remote mark stays on what was sent, new turns are local.
        assert window.use_local_action.isEnabled()
        window.use_local_action.trigger()
        assert window.bridge.remote is None
        assert not window.composer.remote_notice.isVisible()
        assert window.composer.model_button.text() == "Model: scripted"
        send(qtbot, window, "hi")
        local = window.view.widgets[-1].message
        assert local.status == "complete" and local.remote is None
        assert window.store.get_conversation(local.conversation_id).remote == host
    finally:
        window.close()


def test_a_refused_connection_keeps_the_dialog_open_and_says_why(
    qtbot: QtBot, fake: FakeOpenAI, memory_keyring: object
) -> None:
    import keyring

    fake.api_key = "right-key"
    window = open_window(qtbot, None)
    try:
        dialog = connect(qtbot, window, fake.base_url, key="wrong-key")
        assert dialog.isVisible()
        assert "key" in dialog.status.text().lower()
        assert window.bridge.remote is None
        assert window.composer.model_button.text() == "Choose a model…"

        dialog.key.setText("right-key")
        dialog.model.setCurrentText(MODEL)
        qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.bridge.remote is not None, timeout=20_000)
        assert not dialog.isVisible()
        assert keyring.get_password("QwenDesk", f"endpoint:{fake.base_url}") == "right-key"
        # The server is saved (without its key) and offered first next time, key filled in.
        saved = (Path(window.store.path).parent / "endpoints.json").read_text(encoding="utf-8")
        assert fake.base_url in saved and "right-key" not in saved
        again = window.open_remote_dialog()
        assert again.address.text() == fake.base_url
        assert again.key.text() == "right-key"
        assert again.model.currentText() == MODEL
        again.reject()
    finally:
        window.close()


def test_an_unreachable_server_is_reported(qtbot: QtBot) -> None:
    window = open_window(qtbot, None)
    try:
        dialog = connect(qtbot, window, f"http://127.0.0.1:{closed_port()}/v1")
        assert dialog.isVisible()
        assert "reach" in dialog.status.text().lower()
        assert window.bridge.remote is None
        dialog.reject()
    finally:
        window.close()


def test_stop_ends_a_remote_answer_and_closes_the_stream(qtbot: QtBot, fake: FakeOpenAI) -> None:
    window = open_window(qtbot, None)
    try:
        connect(qtbot, window, fake.base_url)
        assert window.bridge.remote is not None
        fake.mode = "stall-after-first"
        window.composer.input.setPlainText("hi")
        qtbot.keyClick(window.composer.input, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: fake.received.is_set(), timeout=20_000)
        turn = window.controller.turn
        assert turn is not None
        qtbot.waitUntil(lambda: "The" in turn.reasoning + "".join(turn.pending_reasoning))
        window.controller.stop()
        qtbot.waitUntil(lambda: not window.controller.answering, timeout=20_000)
        stored = window.view.widgets[-1].message
        assert stored.status == "cancelled"
        assert stored.reasoning == "The"  # what had come is kept
        assert fake.client_gone.wait(10)  # the server saw the stream close
    finally:
        window.close()


def test_without_a_keyring_the_key_is_used_for_the_session_and_that_is_said(
    qtbot: QtBot, fake: FakeOpenAI
) -> None:
    fake.api_key = "session-key"  # no keyring works in tests unless one is installed
    window = open_window(qtbot, None)
    try:
        connect(qtbot, window, fake.base_url, key="session-key")
        assert window.bridge.remote is not None
        assert "session only" in window.statusBar().currentMessage()
        saved = (Path(window.store.path).parent / "endpoints.json").read_text(encoding="utf-8")
        assert "session-key" not in saved
        send(qtbot, window, "hi")
        assert window.view.widgets[-1].message.status == "complete"
        assert fake.chats[-1].headers.get("authorization") == "Bearer session-key"
    finally:
        window.close()
