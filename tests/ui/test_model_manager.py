"""The model manager window against a local stand-in for the Hub: list, fit, download, use, delete."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QTreeWidgetItem
from pytestqt.qtbot import QtBot

from app.models.hub import GGUFEntry
from tests.models.fake_hub import serve
from tests.ui.conftest import open_window, send


def entry_item(manager, name: str, quant: str) -> QTreeWidgetItem:
    for i in range(manager.tree.topLevelItemCount()):
        top = manager.tree.topLevelItem(i)
        if top.text(0) == name:
            for j in range(top.childCount()):
                if top.child(j).text(0) == quant:
                    return top.child(j)
    raise AssertionError(f"{name} {quant} not listed")


def test_list_download_use_and_delete(qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(monkeypatch) as hub:
        hub.add_gguf("Qwen/Qwen3-0.6B-GGUF", "Qwen3-0.6B-Q8_0.gguf", tmp_path)
        hub.add_gguf("Qwen/Qwen3-4B-GGUF", "Qwen3-4B-Q4_K_M.gguf", tmp_path)
        window = open_window(qtbot, None)
        manager = window.open_model_manager()
        qtbot.waitUntil(lambda: manager.listing is not None, timeout=20_000)
        assert "This machine:" in manager.machine_label.text()
        item = entry_item(manager, "Qwen3-0.6B", "Q8_0")
        assert item.text(2).startswith("fits") or "GPU" in item.text(2)  # a fit verdict with numbers
        assert "Recommended for this machine" in manager.recommend_label.text()
        [big] = manager.tree.findItems("Qwen3-32B", Qt.MatchFlag.MatchExactly, 0)
        assert big.childCount() == 0 and big.text(1) == "≈18.5 GB" and big.text(3) == "not listed"

        manager.tree.setCurrentItem(item)
        assert manager.download_button.isEnabled() and not manager.use_button.isEnabled()
        qtbot.mouseClick(manager.download_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not manager.downloads, timeout=30_000)
        item = entry_item(manager, "Qwen3-0.6B", "Q8_0")
        assert item.text(3) == "downloaded"
        local = [manager.tree.topLevelItem(manager.tree.topLevelItemCount() - 1).child(0)]
        assert local[0].text(0) == "Qwen3-0.6B-Q8_0"

        manager.tree.setCurrentItem(item)
        assert manager.use_button.isEnabled()
        qtbot.mouseClick(manager.use_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(window.bridge.model_path) and not window.bridge.busy, timeout=30_000)
        send(qtbot, window, "hi")
        assert window.view.widgets[-1].answer.toPlainText().strip() == "Hello! How can I help?"

        monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
        monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
        manager.tree.setCurrentItem(entry_item(manager, "Qwen3-0.6B", "Q8_0"))
        manager.delete_selected()
        assert entry_item(manager, "Qwen3-0.6B", "Q8_0").text(3) == ""
        assert isinstance(
            entry_item(manager, "Qwen3-4B", "Q4_K_M").data(0, Qt.ItemDataRole.UserRole), GGUFEntry
        )
        manager.close()
        window.close()


def test_import_rejects_a_bad_file_and_accepts_a_good_one(
    qtbot: QtBot, tmp_path: Path, scripted_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a, **k: warnings.append(text))
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    with serve(monkeypatch):
        window = open_window(qtbot, None)
        manager = window.open_model_manager()
        bad = tmp_path / "broken.gguf"
        bad.write_bytes(b"not a model")
        assert not manager.import_file(str(bad))
        assert "broken.gguf" in warnings[0]
        assert manager.import_file(str(scripted_model))
        local = manager.tree.topLevelItem(manager.tree.topLevelItemCount() - 1)
        assert [local.child(i).text(0) for i in range(local.childCount())] == ["scripted"]
        manager.close()
        window.close()
