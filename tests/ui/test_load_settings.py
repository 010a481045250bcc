"""Load settings per model (context with YaRN, KV cache, threads) and cancelling a load, in the window."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.backend.engine import Engine
from app.models.gguf_file import read_gguf_info
from app.models.load_options import LoadOptions
from app.models.machine import Machine
from app.ui.load_settings import LoadSettingsDialog
from app.ui.main_window import MainWindow
from app.ui.settings import Settings
from tests.ui.conftest import open_window, send

GIB = 1024**3


def pick(combo, value) -> None:
    combo.setCurrentIndex(combo.findData(value))


def test_dialog_shows_yarn_and_ties_flash_attention_to_a_quantized_cache(
    qtbot: QtBot, scripted_model: Path
) -> None:
    info = read_gguf_info(scripted_model)
    cpu = Machine(ram_total=16 * GIB, ram_available=12 * GIB, cpu_cores=4, backend="CPU")
    dialog = LoadSettingsDialog(info, cpu, LoadOptions())
    qtbot.addWidget(dialog)
    assert dialog.context.currentData() == 16_384
    assert "No rope scaling up to 40,960" in dialog.yarn_label.text()
    assert not dialog.gpu_layers.isEnabled()  # a CPU build: nothing to offload
    assert "needs about" in dialog.fit_label.text()

    pick(dialog.context, 40_960)  # Qwen3's trained length: still no scaling
    assert "No rope scaling" in dialog.yarn_label.text()
    pick(dialog.context, 65_536)
    assert "YaRN rope scaling ×2 (over 32,768)" in dialog.yarn_label.text()
    pick(dialog.context, 131_072)
    assert "×4" in dialog.yarn_label.text()
    assert dialog.context.findData(262_144) == -1  # never beyond what the model supports

    pick(dialog.kv_cache, "q8_0")
    assert dialog.flash_attn.isChecked() and not dialog.flash_attn.isEnabled()
    dialog.threads.setValue(3)
    assert dialog.options() == LoadOptions(n_ctx=131_072, kv_cache_type="q8_0", flash_attn=True, n_threads=3)
    dialog.reset()
    assert dialog.options() == LoadOptions(kv_cache_type="f16")


def test_small_models_offer_no_yarn(qtbot: QtBot, tmp_path: Path) -> None:
    from app.models.synthetic import write_scripted_gguf

    info = read_gguf_info(write_scripted_gguf(tmp_path / "small.gguf", size_label="0.6B"))
    dialog = LoadSettingsDialog(info, Machine(), LoadOptions())
    qtbot.addWidget(dialog)
    assert max(dialog.context.itemData(i) for i in range(dialog.context.count())) == 40_960
    assert "Native context: up to 40,960" in dialog.yarn_label.text()


def test_2507_models_offer_262144_natively(qtbot: QtBot, tmp_path: Path) -> None:
    from app.models.synthetic import write_2507_gguf

    info = read_gguf_info(write_2507_gguf(tmp_path / "instruct.gguf"))
    cpu = Machine(ram_total=16 * GIB, ram_available=12 * GIB, cpu_cores=4, backend="CPU")
    dialog = LoadSettingsDialog(info, cpu, LoadOptions())
    qtbot.addWidget(dialog)
    offered = [dialog.context.itemData(i) for i in range(dialog.context.count())]
    assert offered[-1] == 262_144 and 131_072 in offered
    pick(dialog.context, 262_144)
    assert "Native context: up to 262,144" in dialog.yarn_label.text()  # no YaRN anywhere
    assert "262,144 tokens needs about" in dialog.fit_label.text()


def test_a_file_with_yarn_metadata_says_it_loads_unscaled(qtbot: QtBot, tmp_path: Path) -> None:
    from app.models.synthetic import write_scripted_gguf

    path = write_scripted_gguf(tmp_path / "128k.gguf", context_length=131_072, yarn=(4.0, 32_768))
    dialog = LoadSettingsDialog(read_gguf_info(path), Machine(), LoadOptions())
    qtbot.addWidget(dialog)
    assert "YaRN ×4 on for 131,072" in dialog.yarn_label.text()
    assert "loaded without rope scaling" in dialog.yarn_label.text()
    pick(dialog.context, 65_536)
    assert "YaRN rope scaling ×2" in dialog.yarn_label.text()


def test_gpu_layers_auto_shows_the_estimate(qtbot: QtBot, scripted_model: Path) -> None:
    info = read_gguf_info(scripted_model)
    gpu = Machine(ram_total=64 * GIB, ram_available=60 * GIB, backend="CUDA", gpu_free=24 * GIB)
    dialog = LoadSettingsDialog(info, gpu, LoadOptions())
    qtbot.addWidget(dialog)
    assert dialog.gpu_layers.isEnabled()
    assert dialog.gpu_layers.specialValueText() == f"Auto ({info.block_count + 1} of {info.block_count + 1})"
    dialog.gpu_layers.setValue(1)
    assert dialog.options().n_gpu_layers == 1


def test_settings_are_saved_per_model_and_used_for_the_next_load(
    qtbot: QtBot, window: MainWindow, scripted_model: Path
) -> None:
    dialog = window.edit_load_settings()
    assert dialog is not None
    pick(dialog.context, 65_536)
    dialog.threads.setValue(1)
    qtbot.mouseClick(dialog.load_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.bridge.busy and not window.controller.model_loading, timeout=30_000)
    plan = window.bridge.engine.plan
    assert plan is not None and (plan.n_ctx, plan.yarn_factor, plan.n_threads) == (65_536, 2, 1)
    assert "YaRN" in window.statusBar().currentMessage()
    send(qtbot, window, "hi")
    assert window.view.widgets[-1].answer.toPlainText().strip() == "Hello! How can I help?"

    # Saved in the settings file, under the model's name, and used when the model is chosen again.
    assert Settings().load_options(str(scripted_model)) == LoadOptions(n_ctx=65_536, n_threads=1)
    window.controller.load_model(str(scripted_model))
    qtbot.waitUntil(lambda: not window.bridge.busy, timeout=30_000)
    assert window.bridge.engine.plan.n_ctx == 65_536


def test_a_load_can_be_cancelled_from_the_composer(
    qtbot: QtBot, scripted_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Engine, "injected_fault", "slow-load")  # ≈5 s of progress steps
    window = open_window(qtbot, None)
    window.controller.load_model(str(scripted_model))
    composer = window.composer
    assert composer.cancel_load_button.isVisible() and composer.load_bar.isVisible()
    qtbot.waitUntil(lambda: composer.load_bar.value() > 0, timeout=30_000)
    assert "Loading scripted" in composer.model_button.text()
    qtbot.mouseClick(composer.cancel_load_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.bridge.busy, timeout=10_000)
    assert not composer.cancel_load_button.isVisible() and not composer.load_bar.isVisible()
    assert composer.model_button.text() == "Choose a model…"
    assert "cancel" in window.statusBar().currentMessage().lower()
    assert window.bridge.engine.loaded is None
    window.close()


def test_model_manager_opens_load_settings_for_a_local_model(
    qtbot: QtBot, scripted_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from tests.models.fake_hub import serve

    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    with serve(monkeypatch):
        window = open_window(qtbot, None)
        manager = window.open_model_manager()
        assert manager.import_file(str(scripted_model))
        local = manager.tree.topLevelItem(manager.tree.topLevelItemCount() - 1)
        manager.tree.setCurrentItem(local.child(0))
        assert manager.load_settings_button.isEnabled()
        qtbot.mouseClick(manager.load_settings_button, Qt.MouseButton.LeftButton)
        dialog = manager.findChild(LoadSettingsDialog)
        assert dialog is not None and dialog.isVisible()
        pick(dialog.context, 8192)
        qtbot.mouseClick(dialog.load_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: window.bridge.model_path is not None and not window.bridge.busy, timeout=30_000
        )
        assert window.bridge.engine.plan.n_ctx == 8192
        manager.close()
        window.close()
