"""The model manager window against a local stand-in for the Hub: list, fit, download, use, delete."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QTreeWidgetItem
from pytestqt.qtbot import QtBot

from app.models.catalog import CATALOG, ORIGINALS
from app.models.hub import GGUFEntry
from app.ui.model_manager import COL_CTX, COL_FIT, COL_NAME, COL_SIZE, COL_STATUS, COL_THINK
from tests.models.fake_hub import closed_port_url, serve
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
        assert item.text(COL_FIT).startswith("fits") or "GPU" in item.text(COL_FIT)  # a verdict with numbers
        assert "Recommended for this machine" in manager.recommend_label.text()
        [big] = manager.tree.findItems("Qwen3-32B", Qt.MatchFlag.MatchExactly, COL_NAME)
        # decimal units, as the Hub and `models list` show sizes
        assert big.childCount() == 0 and big.text(COL_SIZE) == "≈19.9 GB"
        assert big.text(COL_STATUS) == "not listed" and big.text(COL_FIT)  # an estimate, with its fit

        manager.tree.setCurrentItem(item)
        assert manager.download_button.isEnabled() and not manager.use_button.isEnabled()
        qtbot.mouseClick(manager.download_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not manager.downloads, timeout=30_000)
        item = entry_item(manager, "Qwen3-0.6B", "Q8_0")
        assert item.text(COL_STATUS) == "downloaded"
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
        assert entry_item(manager, "Qwen3-0.6B", "Q8_0").text(COL_STATUS) == ""
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


def test_offline_first_run_shows_the_catalog_and_one_sentence(
    qtbot: QtBot, scripted_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Hub unreachable, no saved listing: every model with an estimate, the 2507 group, no errno."""
    monkeypatch.setenv("HF_ENDPOINT", closed_port_url())
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    window = open_window(qtbot, None)
    manager = window.open_model_manager()
    assert manager.import_file(str(scripted_model))
    qtbot.waitUntil(lambda: manager.listing is not None, timeout=20_000)
    assert manager.listing is not None and manager.listing.offline and not manager.listing.listed
    text = manager.listing_label.text()
    assert text == (
        "The Hugging Face Hub could not be reached, so quantizations are not listed; downloaded and "
        "imported models work offline, and Import GGUF… adds a GGUF you already have."
    )
    assert "Errno" not in text and "Could not list" not in text and "Cannot reach" not in text
    assert manager.import_button.isVisible() and manager.import_button.isEnabled()
    assert manager.recommend_label.text() == "" and not manager.recommend_button.isVisible()

    tops = [manager.tree.topLevelItem(i) for i in range(manager.tree.topLevelItemCount())]
    names = [t.text(COL_NAME) for t in tops]
    rows = {t.text(COL_NAME): t for t in tops}
    catalog = [m.name for m in CATALOG]
    assert [n for n in names if n in catalog] == catalog  # every model, in catalog order
    for model in CATALOG:  # each: an estimated size, a fit verdict, marked as an estimate
        row = rows[model.name]
        assert row.text(COL_SIZE).startswith("≈") and row.text(COL_FIT), model.name
        assert row.text(COL_STATUS) == "estimate" and row.childCount() == 0
    group = names.index("Qwen3-2507 · newer generation: one mode each, 262K context")
    assert names.index(ORIGINALS[-1].name) < group < names.index("Qwen3-4B-Instruct-2507")
    assert tops[group].isFirstColumnSpanned() and not tops[group].flags() & Qt.ItemFlag.ItemIsSelectable
    assert names[0] == "Qwen3 · the eight original sizes: thinking on or off"
    instruct, thinking = rows["Qwen3-30B-A3B-Instruct-2507"], rows["Qwen3-30B-A3B-Thinking-2507"]
    assert (instruct.text(COL_THINK), instruct.text(COL_CTX)) == ("no thinking", "262K")
    assert (thinking.text(COL_THINK), thinking.text(COL_CTX)) == ("always thinks", "262K")
    assert (rows["Qwen3-8B"].text(COL_THINK), rows["Qwen3-8B"].text(COL_CTX)) == ("on or off", "32K–131K")
    assert rows["Qwen3-0.6B"].text(COL_CTX) == "32K"

    local = tops[-1]
    assert local.text(COL_NAME) == "On this machine" and local.childCount() == 1
    imported = local.child(0)
    assert imported.text(COL_NAME) == "scripted" and imported.text(COL_STATUS) == "imported"
    assert imported.text(COL_FIT)  # its fit, from the GGUF header
    manager.tree.setCurrentItem(imported)
    assert manager.use_button.isEnabled()  # an imported model works offline
    manager.tree.setCurrentItem(tops[group])
    assert not manager.download_button.isEnabled() and not manager.use_button.isEnabled()
    manager.close()
    window.close()
