"""Kept readings (a conversation's KV cache on disk): deleted with the conversation, orphans pruned at
start, the Speed and memory dialog; and the offer to read slow whole documents after all."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.backend.kept_states import file_for
from app.backend.protocol import StateKeeping
from app.documents.context import WHOLE_HEAD
from app.store.chat_store import ChatStore
from app.ui import speed_dialog
from app.ui.main_window import MainWindow
from app.ui.settings import Settings
from app.ui.speed_dialog import SpeedDialog
from tests.documents.make_docs import write_pdf
from tests.ui.conftest import open_window, send

GIB, MIB = 1 << 30, 1 << 20


def kept_file(home: Path, cid: int) -> Path:
    return file_for(home / "kv-cache", f"conversation-{cid}")


def fake_kept(home: Path, cid: int, size: int = 1000) -> Path:
    path = kept_file(home, cid)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * size)
    return path


def test_deleting_a_conversation_deletes_its_kept_reading(
    qtbot: QtBot, window: MainWindow, qwendesk_home: Path
) -> None:
    send(qtbot, window, "hi")
    cid = window.controller.conversation.id
    kept = kept_file(qwendesk_home, cid)
    qtbot.waitUntil(kept.exists, timeout=20_000)  # the worker writes it shortly after the answer
    other = fake_kept(qwendesk_home, cid + 1)
    window.delete_conversation(cid)
    assert not kept.exists() and other.exists()


def test_kept_readings_of_gone_conversations_are_pruned_at_start(qtbot: QtBot, qwendesk_home: Path) -> None:
    store = ChatStore.open_default()
    alive = store.create_conversation()
    gone = store.create_conversation()
    store.delete(gone.id)
    store.close()
    kept, orphan, stray = (fake_kept(qwendesk_home, cid) for cid in (alive.id, gone.id, 999))
    window = open_window(qtbot, None)
    qtbot.waitUntil(lambda: not orphan.exists() and not stray.exists(), timeout=10_000)
    assert kept.exists()
    window.close()


def test_speed_settings_reach_the_engine_at_start_and_from_the_dialog(
    qtbot: QtBot, qwendesk_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings()
    settings.set("kept_states/disk_gib", 3)
    settings.sync()
    window = open_window(qtbot, None)
    directory = str(qwendesk_home / "kv-cache")
    engine = window.bridge.engine
    assert engine.keeping == StateKeeping(directory=directory, ram_bytes=2048 * MIB, disk_bytes=3 * GIB)
    assert window.controller.read_limit_s == 60

    fake_kept(qwendesk_home, 1, 1_500_000)
    dialog = window.open_speed_dialog()
    assert isinstance(dialog, SpeedDialog)
    assert dialog.usage.text() == "1 conversation, 2 MB"
    dialog.disk.setValue(0)
    assert dialog.disk.text() == "Automatic"
    dialog.ram.setValue(512)
    dialog.read_limit.setValue(30)
    dialog.save()
    assert engine.keeping == StateKeeping(directory=directory, ram_bytes=512 * MIB, disk_bytes=None)
    assert window.controller.read_limit_s == 30
    assert Settings().get("documents/read_limit_s") == 30 and Settings().get("kept_states/ram_mib") == 512

    dialog = window.open_speed_dialog()
    assert isinstance(dialog, SpeedDialog)
    monkeypatch.setattr(speed_dialog, "free_disk_bytes", lambda _d: 5 * GIB)
    dialog.disk.setValue(20)  # more than the disk has: said, and Save is off
    assert dialog.error_label.isVisible() and "Only 5.4 GB is free" in dialog.error_label.text()
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Save).isEnabled()
    dialog.disk.setValue(4)
    assert not dialog.error_label.isVisible()
    dialog.keep.setChecked(False)  # memory only: what was on disk goes
    assert not dialog.disk.isEnabled()
    dialog.save()
    assert engine.keeping.directory is None and not kept_file(qwendesk_home, 1).exists()
    assert Settings().get("kept_states/enabled") is False
    window.close()


def test_delete_kept_readings_empties_the_disk(qtbot: QtBot, qwendesk_home: Path) -> None:
    window = open_window(qtbot, None)
    files = [fake_kept(qwendesk_home, cid) for cid in (1, 2, 3)]
    dialog = window.open_speed_dialog()
    assert isinstance(dialog, SpeedDialog)
    assert dialog.usage.text() == "3 conversations, 3 kB" and dialog.delete_button.isEnabled()
    dialog.delete_button.click()
    assert not any(f.exists() for f in files)
    assert dialog.usage.text() == "nothing kept" and not dialog.delete_button.isEnabled()
    window.close()


def test_slow_whole_documents_go_by_passages_with_a_one_click_offer(
    qtbot: QtBot, scripted_model: Path, tmp_path: Path
) -> None:
    window = open_window(qtbot, None)
    window.controller.load_model(str(scripted_model), n_ctx=8192)
    qtbot.waitUntil(lambda: window.bridge.model_path is not None and not window.bridge.busy, timeout=30_000)
    window.controller.read_limit_s = 0.001  # any reading is too slow: the offer is made
    pdf = write_pdf(
        tmp_path / "minutes.pdf",
        [["The budget for 2027 is 40,000 euros."], ["Next meeting: May."]]
        + [[f"Item {i}: the committee discussed the roads and the harbour at length."] * 6 for i in range(6)],
    )
    window.controller.attach_files([str(pdf)])
    qtbot.waitUntil(lambda: not window.controller.preparer.busy, timeout=20_000)
    send(qtbot, window, "What is the budget for 2027?")
    answer = window.view.widgets[-1]
    question_id = window.view.widgets[-2].message.id
    assert not window.store.get_message(question_id).sent_content.startswith(WHOLE_HEAD)
    assert answer.offer_box.isVisible() and "most relevant passages" in answer.offer_label.text()
    assert answer.offer_button.text().startswith("Read the whole document instead (about ")

    answer.offer_button.click()
    qtbot.waitUntil(lambda: not window.controller.answering, timeout=30_000)
    assert window.store.get_message(question_id).sent_content.startswith(WHOLE_HEAD)  # read whole
    last = window.view.widgets[-1]
    assert last.message.id != answer.message.id and not last.offer_box.isVisible()
    assert last.versions.label.text() == "2 / 2"
    assert last.answer.toPlainText().strip() == "Hello! How can I help?"
    window.close()
