"""A long prompt's reading shown where the answer will be; Stop during it; the conversation's cache key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from app.backend.protocol import GenerationRequest, PromptProgress, StreamEvent
from app.ui import prompt_reading
from app.ui.context_offers import about_duration
from app.ui.main_window import MainWindow
from app.ui.prompt_reading import ReadingLine, reading_text
from tests.ui.conftest import send

LONG = "lorem ipsum dolor sit amet " * 110  # ~3,000 tokens for the byte-level scripted model: 6 batches


@pytest.fixture
def at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The line shows from the first report (the window waits about a second, which a test cannot)."""
    monkeypatch.setattr(prompt_reading, "SHOW_AFTER_S", 0.0)


def test_a_long_prompt_shows_its_reading_until_the_first_text(
    qtbot: QtBot, window: MainWindow, at_once: None
) -> None:
    c = window.controller
    seen: list[tuple[PromptProgress, str, bool]] = []
    at_text: list[bool] = []

    def on_progress(progress: PromptProgress) -> None:
        c.flush()  # paint now, as the timer would
        assert c.turn is not None
        line = c.turn.reading.line
        pane = c.turn.widget.reasoning
        shown = line is not None and line.isVisibleTo(c.turn.widget)
        seen.append(
            (
                progress,
                line.label.text() if shown and line else "",
                bool(pane and pane.isVisibleTo(c.turn.widget)),
            )
        )

    def on_text(_text: str) -> None:
        if c.turn is not None and not at_text:
            c.flush()
            at_text.append(c.turn.reading.shown)

    window.bridge.prompt_progress.connect(on_progress)
    window.bridge.reasoning.connect(on_text)
    window.bridge.answer.connect(on_text)
    send(qtbot, window, LONG)

    assert len(seen) >= 3  # before the first batch and after each
    for progress, text, pane_shown in seen:
        assert text == f"Reading the conversation… {progress.done:,} / {progress.total:,} tokens"
        assert not pane_shown  # not "Thinking…" while it reads
    assert seen[-1][0].done >= seen[0][0].done and seen[0][0].total > 2_500
    assert at_text == [False]  # gone with the first text
    answer = window.view.widgets[-1]
    qtbot.waitUntil(lambda: not answer.findChildren(ReadingLine))
    assert answer.answer.toPlainText().strip() == "Hello! How can I help?"


def test_the_line_waits_until_reading_has_gone_on_a_while(qtbot: QtBot, window: MainWindow) -> None:
    """The first report (reading has just begun) is never painted: a short prompt does not flicker."""
    painted: list[bool] = []

    def on_progress(_progress: PromptProgress) -> None:
        if not painted:
            window.controller.flush()
            assert window.controller.turn is not None
            painted.append(window.controller.turn.reading.line is not None)

    window.bridge.prompt_progress.connect(on_progress)
    send(qtbot, window, LONG)
    assert painted == [False]


def test_stop_while_reading_ends_the_turn_as_stopped(qtbot: QtBot, window: MainWindow, at_once: None) -> None:
    c = window.controller
    shown_at_stop: list[bool] = []

    def stop(_progress: PromptProgress) -> None:
        if not shown_at_stop:
            c.flush()
            assert c.turn is not None
            shown_at_stop.append(c.turn.reading.shown)
            c.stop()

    window.bridge.prompt_progress.connect(stop)
    send(qtbot, window, LONG)
    answer = window.view.widgets[-1]
    stored = window.store.get_message(answer.message.id)
    assert shown_at_stop == [True]
    assert stored.status == "cancelled" and stored.content == ""
    assert answer.status.text() == "Stopped."
    qtbot.waitUntil(lambda: not answer.findChildren(ReadingLine))


def test_window_turns_carry_the_conversation_key_and_titles_do_not(qtbot: QtBot, window: MainWindow) -> None:
    engine = window.bridge.engine
    requests: list[GenerationRequest] = []
    generate = engine.generate

    def recording(request: GenerationRequest) -> Iterator[StreamEvent]:
        requests.append(request)
        return generate(request)

    engine.generate = recording  # type: ignore[method-assign]
    send(qtbot, window, "hi")
    cid = window.controller.conversation.id
    qtbot.waitUntil(lambda: len(requests) == 2 and window.controller.titles._call is None, timeout=20_000)
    turn, title = requests
    assert turn.cache_key == f"conversation-{cid}"
    assert title.cache_key is None  # another prompt: it must not replace the conversation's reading
    window.controller.regenerate(window.view.widgets[-1].message.id)
    qtbot.waitUntil(lambda: not window.controller.answering, timeout=20_000)
    assert requests[-1].cache_key == f"conversation-{cid}"


def test_estimates_are_said_roughly() -> None:
    assert about_duration(38) == "about 40 s"
    assert about_duration(2) == "about 5 s"
    assert about_duration(235) == "about 4 min"
    assert about_duration(4000) == "about 1 h 7 min"


def test_the_line_says_what_is_being_read(qtbot: QtBot) -> None:
    progress = PromptProgress(3072, 12288)
    assert reading_text(progress, 0) == "Reading the conversation… 3,072 / 12,288 tokens"
    assert reading_text(progress, 1) == "Reading the document… 3,072 / 12,288 tokens"
    assert reading_text(progress, 2) == "Reading the documents… 3,072 / 12,288 tokens"
