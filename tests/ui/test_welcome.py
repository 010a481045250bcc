"""The welcome panel against a local stand-in for the Hub: recommend, download, offline, load, signals."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QPushButton
from pytestqt.qtbot import QtBot

from app.models.download import Progress, part_path
from app.models.labels import human_size
from app.models.store_dir import import_model
from app.ui.welcome import WelcomePanel
from tests.models.fake_hub import FakeHub, closed_port_url, serve

REPO = "Qwen/Qwen3-4B-GGUF"
NAME = "Qwen3-4B-Q4_K_M.gguf"
OFFLINE = (
    "The Hugging Face Hub cannot be reached, and downloading a model needs the network. "
    "A GGUF file you already have works offline: Open a GGUF… loads it."
)


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    with serve(monkeypatch) as h:
        h.add_gguf(REPO, NAME, tmp_path)
        yield h


def open_panel(qtbot: QtBot) -> WelcomePanel:
    panel = WelcomePanel()
    qtbot.addWidget(panel)
    panel.resize(800, 700)
    panel.show()
    return panel


def surveyed(qtbot: QtBot, panel: WelcomePanel) -> None:
    qtbot.waitUntil(lambda: panel.listing is not None, timeout=20_000)


def click(qtbot: QtBot, button: QPushButton) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_recommends_downloads_with_progress_then_offers_load(qtbot: QtBot, hub: FakeHub) -> None:
    panel = open_panel(qtbot)
    assert panel.offer.kind == "looking"  # the survey runs in the background: nothing waited for it
    surveyed(qtbot, panel)
    assert "RAM" in panel.machine_label.text() and "free for models" in panel.machine_label.text()
    assert "llama.cpp: " in panel.machine_label.text()
    # Opening the app is not asking for the network: a suggestion from estimates, the Hub untouched.
    assert hub.log == []
    assert panel.offer.kind == "suggest" and panel.offer.model is not None and panel.offer.estimated
    assert "Download asks the Hugging Face Hub" in panel.status_label.text()
    assert panel.download_button.isVisible() and panel.download_button.property("primary") is True

    seen: list[Progress] = []
    with qtbot.waitSignal(panel.download_finished, timeout=30_000) as finished:
        click(qtbot, panel.download_button)  # now the Hub is asked, then the file comes
        qtbot.waitUntil(lambda: panel.task is not None, timeout=20_000)
        assert panel.offer.kind == "download" and panel.offer.model is not None
        assert panel.offer.model.name == "Qwen3-4B"
        size = len(hub.repos[REPO][NAME])
        assert "Qwen3-4B" in panel.model_title.text()
        assert f"Q4_K_M, {human_size(size)} download" in panel.model_detail.text()
        assert "thinks when Think is on" in panel.model_detail.text()
        assert panel.task is not None and panel.bar.isVisible() and panel.cancel_button.isVisible()
        assert not panel.download_button.isVisible() and not panel.load_button.isVisible()
        panel.task.progressed.connect(seen.append)
    path = Path(finished.args[0])
    assert path.name == NAME and path.is_file()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == hashlib.sha256(hub.repos[REPO][NAME]).hexdigest()
    assert seen and seen[-1].state == "done" and seen[-1].done_bytes == size
    assert (
        panel.progress_label.text().startswith("100% · ") and human_size(size) in panel.progress_label.text()
    )

    # downloaded, not loaded: Load is offered instead of Download
    assert panel.offer.kind == "load" and not panel.download_button.isVisible()
    assert panel.load_button.isVisible() and panel.load_button.text() == "Load Qwen3-4B-Q4_K_M"
    with qtbot.waitSignal(panel.load_requested, timeout=5_000) as load:
        click(qtbot, panel.load_button)
    assert load.args == [str(path)]
    panel.shutdown()


def test_cancel_stops_the_download_and_deletes_its_part(qtbot: QtBot, hub: FakeHub) -> None:
    hub.slow_s = 0.1  # ~35 chunks: long enough to press Cancel while it runs
    panel = open_panel(qtbot)
    surveyed(qtbot, panel)
    click(qtbot, panel.download_button)
    qtbot.waitUntil(lambda: panel.task is not None, timeout=20_000)
    task = panel.task
    assert task is not None
    seen: list[Progress] = []
    task.progressed.connect(seen.append)
    qtbot.waitUntil(lambda: any(p.state == "running" and p.done_bytes > 0 for p in seen), timeout=30_000)
    assert "%" in panel.progress_label.text() and " of " in panel.progress_label.text()
    click(qtbot, panel.cancel_button)
    assert panel.task is None and not panel.bar.isVisible() and not panel.progress_label.isVisible()
    assert panel.download_button.isVisible() and panel.download_button.text() == "Download"
    assert not task.path.exists() and not part_path(task.path).exists()
    panel.shutdown()


def test_offline_says_downloads_need_the_network(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", closed_port_url())
    panel = open_panel(qtbot)
    surveyed(qtbot, panel)
    assert panel.offer.kind == "suggest"
    click(qtbot, panel.download_button)  # asking finds the Hub unreachable
    qtbot.waitUntil(lambda: panel.offer.kind == "offline", timeout=20_000)
    assert panel.status_label.isVisible() and panel.status_label.text() == OFFLINE
    assert "Errno" not in panel.status_label.text()
    assert not panel.download_button.isVisible() and not panel.load_button.isVisible()
    assert "Recommended for this machine" in panel.model_title.text()
    assert ", about " in panel.model_detail.text()  # an estimated size: nothing is listed
    assert panel.open_button.isVisible() and panel.open_button.isEnabled()
    panel.shutdown()


def test_a_model_already_on_disk_is_offered_to_load(
    qtbot: QtBot, scripted_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", closed_port_url())
    imported = import_model(scripted_model).model.path
    panel = open_panel(qtbot)
    assert panel.offer.kind == "load"  # known from the models dir at once, before the survey
    surveyed(qtbot, panel)
    assert panel.offer.kind == "load" and panel.load_button.isVisible()
    assert panel.load_button.text() == "Load scripted" and not panel.download_button.isVisible()
    assert "imported" in panel.model_detail.text()
    with qtbot.waitSignal(panel.load_requested, timeout=5_000) as load:
        click(qtbot, panel.load_button)
    assert load.args == [str(imported)]
    panel.shutdown()


def test_buttons_and_example_prompts_emit(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", closed_port_url())
    panel = open_panel(qtbot)
    assert panel.objectName() == "welcomePanel" and panel.title.objectName() == "welcomeTitle"
    assert len(panel.findChildren(QFrame, "welcomeCard")) == 2
    assert panel.findChildren(QPushButton, "examplePrompt") == panel.examples and len(panel.examples) == 4
    with qtbot.waitSignal(panel.open_gguf_requested, timeout=5_000):
        click(qtbot, panel.open_button)
    with qtbot.waitSignal(panel.connect_requested, timeout=5_000):
        click(qtbot, panel.connect_button)
    for button in panel.examples:
        with qtbot.waitSignal(panel.prompt_chosen, timeout=5_000) as chosen:
            click(qtbot, button)
        assert chosen.args == [button.text()] and button.text()
    assert any("hash map" in b.text() for b in panel.examples)
    panel.shutdown()


def test_the_window_leads_a_first_run_to_a_model_then_to_the_chat(
    qtbot: QtBot, scripted_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.ui.conftest import open_window, send

    monkeypatch.setenv("HF_ENDPOINT", closed_port_url())
    window = open_window(qtbot, None)
    qtbot.waitUntil(lambda: window.chat_area.welcome_shown, timeout=5_000)  # no model, no chat yet
    panel = window.chat_area.welcome
    assert panel is not None
    click(qtbot, panel.examples[0])
    assert window.composer.input.toPlainText() == panel.examples[0].text()  # filled, not sent
    import_model(scripted_model)
    panel.refresh()
    qtbot.waitUntil(lambda: panel.offer.kind == "load", timeout=5_000)
    click(qtbot, panel.load_button)
    assert not window.chat_area.welcome_shown  # the load shows in the composer, over the chat
    qtbot.waitUntil(lambda: window.bridge.model_path is not None and not window.bridge.busy, timeout=30_000)
    send(qtbot, window, "hi")
    assert window.view.widgets[-1].message.content == "Hello! How can I help?"
    window.close()


def test_with_a_model_the_welcome_panel_is_never_built(qtbot: QtBot, scripted_model: Path) -> None:
    from tests.ui.conftest import open_window

    window = open_window(qtbot, scripted_model)
    qtbot.wait(50)
    assert window.chat_area.welcome is None and window.chat_area.currentWidget() is window.view
    window.close()


def test_reading_old_chats_without_a_model_shows_them(qtbot: QtBot) -> None:
    from tests.ui.conftest import open_window

    window = open_window(qtbot, None)
    conv = window.store.create_conversation(title="old")
    window.store.add_message(conv.id, "user", "an old question")
    window.refresh_list()
    window.open_conversation(conv.id)
    assert not window.chat_area.welcome_shown
    window.new_conversation()  # an empty chat and nothing to answer it: the way to a model
    assert window.chat_area.welcome_shown
    window.close()
