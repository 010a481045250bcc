"""The window's local API server switch: off by default; on, other apps use the loaded model
through the OpenAI API while the window keeps working; off again, the port is closed."""

from __future__ import annotations

import socket
from pathlib import Path

import openai
import pytest
from pytestqt.qtbot import QtBot

from app.ui.api_server_dialog import KEY_ACCOUNT
from app.ui.main_window import MainWindow
from tests.ui.conftest import send


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_off_by_default(window: MainWindow) -> None:
    assert window.api_server.server is None
    assert window.settings.get("api_server/enabled") is False


def test_switched_on_it_serves_the_window_model_and_the_window_still_answers(
    qtbot: QtBot, window: MainWindow
) -> None:
    port = free_port()
    dialog = window.open_api_server_dialog()
    dialog.enabled.setChecked(True)
    dialog.port.setValue(port)
    dialog.apply()
    url = window.api_server.url
    assert url == f"http://127.0.0.1:{port}/v1"
    assert url in dialog.status.text()
    client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0)
    try:
        models = [m.id for m in client.models.list()]
        assert models == ["scripted"]
        reply = client.chat.completions.create(model="scripted", messages=[{"role": "user", "content": "hi"}])
        message = reply.choices[0].message
        assert message.content == "Hello! How can I help?"
        assert getattr(message, "reasoning_content", None) == "The user greets me."
    finally:
        client.close()
    send(qtbot, window, "hi")  # the window's own turn, on the same engine
    assert window.view.widgets[-1].message.status == "complete"

    dialog.enabled.setChecked(False)
    dialog.apply()
    assert window.api_server.server is None and not port_open(port)
    assert "Off" in dialog.status.text()
    dialog.close()


def test_the_setting_survives_a_restart(qtbot: QtBot, window: MainWindow) -> None:
    from tests.ui.conftest import open_window

    port = free_port()
    window.settings.set("api_server/enabled", True)
    window.settings.set("api_server/port", port)
    window.settings.sync()
    window.close()
    again = open_window(qtbot, None)
    try:
        assert again.api_server.url == f"http://127.0.0.1:{port}/v1"
        assert port_open(port)
    finally:
        again.close()
    assert not port_open(port)  # closing the window stops it


def test_a_port_in_use_is_reported_not_raised(qtbot: QtBot, window: MainWindow) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        dialog = window.open_api_server_dialog()
        dialog.enabled.setChecked(True)
        dialog.port.setValue(port)
        dialog.apply()
        assert window.api_server.server is None
        assert str(port) in dialog.status.text() and "Not running" in dialog.status.text()
        dialog.close()


def test_the_network_needs_a_key_which_goes_to_the_keyring(
    qtbot: QtBot, window: MainWindow, memory_keyring: object
) -> None:
    import keyring

    port = free_port()
    dialog = window.open_api_server_dialog()
    dialog.enabled.setChecked(True)
    dialog.network.setChecked(True)
    dialog.port.setValue(port)
    dialog.key.clear()
    dialog.apply()
    assert window.api_server.server is None
    assert "API key" in dialog.status.text()
    dialog.key.setText("s3cret-key")
    dialog.apply()
    try:
        assert window.api_server.server is not None
        assert keyring.get_password("QwenDesk", KEY_ACCOUNT) == "s3cret-key"
        settings_file = window.settings._q.fileName()
        window.settings.sync()
        assert "s3cret-key" not in Path(settings_file).read_text(encoding="utf-8")
        local = f"http://127.0.0.1:{port}/v1"
        without = openai.OpenAI(base_url=local, api_key="wrong", max_retries=0)
        with_key = openai.OpenAI(base_url=local, api_key="s3cret-key", max_retries=0)
        try:
            with pytest.raises(openai.AuthenticationError):
                without.models.list()
            assert [m.id for m in with_key.models.list()] == ["scripted"]
        finally:
            without.close()
            with_key.close()
    finally:
        dialog.enabled.setChecked(False)
        dialog.apply()
        dialog.close()
