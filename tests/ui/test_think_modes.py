"""The think toggle with one-mode models (the 2507 generation), driven like a person would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.models.synthetic import write_2507_gguf
from app.ui.main_window import MainWindow
from tests.ui.conftest import open_window, send

REPLY = "Hello! How can I help?"


@pytest.fixture(scope="module")
def models_2507(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("2507")
    return {
        kind: write_2507_gguf(folder / f"Qwen3-4B-{kind}-2507.gguf", kind)
        for kind in ("Instruct", "Thinking")
    }


def load(qtbot: QtBot, window: MainWindow, path: Path) -> None:
    window.controller.load_model(str(path))
    qtbot.waitUntil(lambda: window.bridge.model_path == str(path) and not window.bridge.busy, timeout=30_000)
    qtbot.waitUntil(lambda: not window.controller.model_loading, timeout=30_000)


@pytest.fixture
def window(qtbot: QtBot, models_2507: dict[str, Path]) -> Iterator[MainWindow]:
    w = open_window(qtbot, models_2507["Instruct"])
    yield w
    w.close()


def test_instruct_2507_locks_the_toggle_off_and_shows_no_reasoning_pane(
    qtbot: QtBot, window: MainWindow
) -> None:
    think = window.composer.think
    assert not think.isEnabled() and not think.isChecked()
    assert think.text() == "Think: never" and "never thinks" in think.toolTip()
    assert not window.composer.budget.isEnabled()
    assert window.mode_badge.text() == "No thinking (model)"
    send(qtbot, window, "hi")
    w = window.view.widgets[-1]
    assert w.answer.toPlainText().strip() == REPLY
    assert w.reasoning is None  # no empty "Thought" header
    conv = window.store.get_conversation(window.controller.conversation.id)
    assert conv.think  # the conversation's own choice is kept for hybrid models
    assert not window.store.messages(conv.id)[-1].think


def test_thinking_2507_shows_always_streams_reasoning_and_keeps_the_choice(
    qtbot: QtBot, window: MainWindow, models_2507: dict[str, Path], scripted_model: Path
) -> None:
    window.composer.think.setChecked(False)  # locked: a click does nothing
    assert window.composer.wants_think
    load(qtbot, window, models_2507["Thinking"])
    think = window.composer.think
    assert think.text() == "Think: always" and think.isChecked() and not think.isEnabled()
    assert window.composer.budget.isEnabled()  # the budget still applies
    assert window.mode_badge.text() == "Always thinks (model)"
    send(qtbot, window, "hi")
    w = window.view.widgets[-1]
    assert w.reasoning is not None and w.reasoning.text() == "The user greets me."
    assert w.answer.toPlainText().strip() == REPLY
    # Back to a hybrid Qwen3: the toggle is the user's again, as the conversation had it.
    load(qtbot, window, scripted_model)
    assert think.text() == "Think" and think.isEnabled() and think.isChecked()
    think.setChecked(False)
    assert not window.store.get_conversation(window.controller.conversation.id).think
    assert window.mode_badge.text() == "Thinking off"
