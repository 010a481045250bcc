"""The reasoning pane: grows with its text up to a cap, then scrolls inside; folded panes stay empty
until expanded (a 32,000-token reasoning must neither cost a walk over its text nor push the answer
away); Chinese lines are never cut off."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractSlider, QApplication
from pytestqt.qtbot import QtBot

from app.ui.reasoning_pane import FINISHED_LINES, STREAMING_LINES, ReasoningPane

PARAGRAPH = "The user wants a generator that reads a large file line by line without loading it.\n\n"


def make_pane(qtbot: QtBot, width: int = 500) -> ReasoningPane:
    pane = ReasoningPane()
    qtbot.addWidget(pane)
    pane.resize(width, 400)
    pane.show()
    QApplication.processEvents()
    return pane


def line_px(pane: ReasoningPane) -> int:
    return pane.body.fontMetrics().lineSpacing()


def test_names_for_the_style_sheet(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    assert pane.objectName() == "reasoningPane"
    assert pane.header.objectName() == "reasoningHeader"
    assert pane.body.objectName() == "reasoning"


def test_appended_text_shows_and_the_body_grows_with_it(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    pane.start()
    pane.append("Okay, ")
    pane.append("let me think.")
    assert pane.text() == "Okay, let me think."
    one_line = pane.body.height()
    pane.append("\n\nSecond paragraph.\n\nThird paragraph.")
    assert pane.text().endswith("Third paragraph.")
    assert pane.body.height() >= one_line + 3 * line_px(pane)
    assert not pane.body.capped


def test_streaming_stops_growing_at_the_cap_and_follows_the_end(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    pane.start()
    heights = []
    for _ in range(60):
        pane.append(PARAGRAPH)
        heights.append(pane.body.height())
    assert heights == sorted(heights), "it only grows"
    assert heights[0] < heights[-1] == pane.body.cap_px()
    assert STREAMING_LINES * line_px(pane) <= pane.body.cap_px() < (STREAMING_LINES + 2) * line_px(pane)
    assert pane.body.capped
    bar = pane.body.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == bar.maximum()
    assert pane.text() == PARAGRAPH * 60


def test_a_box_scrolled_up_by_the_reader_stays_where_it_is(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    pane.start()
    pane.append(PARAGRAPH * 60)
    bar = pane.body.verticalScrollBar()
    assert bar.value() == bar.maximum()
    bar.triggerAction(QAbstractSlider.SliderAction.SliderPageStepSub)  # as the mouse wheel does
    where = bar.value()
    assert where < bar.maximum()
    pane.append(PARAGRAPH)
    assert bar.value() == where < bar.maximum()
    bar.triggerAction(QAbstractSlider.SliderAction.SliderToMaximum)
    pane.append(PARAGRAPH)
    assert bar.value() == bar.maximum(), "back at the end, it follows again"


def test_finished_pane_has_the_larger_cap_and_keeps_its_labels(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    pane.start()
    pane.append(PARAGRAPH * 80)
    streaming_height = pane.body.height()
    pane.finish(12.4, 842)
    assert pane.label() == "Thought for 12 s · 842 tokens"
    assert pane.header.text() == pane.label()
    assert not pane.thinking
    assert pane.body.height() == pane.body.cap_px() > streaming_height
    assert FINISHED_LINES * line_px(pane) <= pane.body.cap_px() < (FINISHED_LINES + 2) * line_px(pane)
    pane.finish(None, None, budget_hit=True, unclosed=True)
    assert pane.label() == "Thought · thinking budget reached · stopped while thinking"


def test_set_text_on_a_collapsed_pane_fills_the_body_only_when_expanded(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    pane.set_expanded(False)
    long_text = PARAGRAPH * 4000  # about 80,000 tokens' worth of characters
    pane.set_text(long_text)
    assert pane.body.document().isEmpty(), "a folded pane does not build its document"
    assert pane.text() == long_text
    pane.set_expanded(True)
    QApplication.processEvents()
    assert pane.body.toPlainText() == long_text
    assert pane.body.height() == pane.body.cap_px(), "the height is the cap, the rest scrolls"
    doc = pane.body.document()
    middle = doc.findBlockByNumber(doc.blockCount() // 2)
    assert middle.layout().lineCount() == 0, "text past the cap is not laid out until it is shown"


def test_collapsing_keeps_the_streamed_text_without_a_copy(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    pane.start()
    pane.append(PARAGRAPH * 3)
    pane.set_expanded(False)
    pane.set_text(PARAGRAPH * 3)  # the stored reasoning, same as what was streamed
    pane.set_expanded(True)
    assert pane.body.toPlainText() == PARAGRAPH * 3


def test_chinese_lines_are_not_cut_off(qtbot: QtBot) -> None:
    pane = make_pane(qtbot, width=400)
    pane.set_text("\n".join(["用户想逐行读取一个很大的文本文件，内存有限。我应该先说明生成器的做法。"] * 5))
    doc = pane.body.document()
    layout = doc.documentLayout()
    needed = sum(layout.blockBoundingRect(doc.findBlockByNumber(i)).height() for i in range(doc.blockCount()))
    assert not pane.body.capped
    assert pane.body.viewport().height() >= needed + 2 * doc.documentMargin()
    assert pane.body.verticalScrollBar().maximum() == 0, "everything shows without scrolling"


def test_chinese_lines_streamed_are_not_cut_off(qtbot: QtBot) -> None:
    pane = make_pane(qtbot, width=300)
    pane.start()
    for _ in range(4):
        pane.append("让我想想：文件很大，所以要逐行处理，")
        pane.append("不能一次读入内存。\n")
    doc = pane.body.document()
    layout = doc.documentLayout()
    needed = sum(layout.blockBoundingRect(doc.findBlockByNumber(i)).height() for i in range(doc.blockCount()))
    assert not pane.body.capped
    assert pane.body.viewport().height() >= needed + 2 * doc.documentMargin()


def test_a_narrower_pane_measures_again(qtbot: QtBot) -> None:
    pane = make_pane(qtbot, width=800)
    pane.set_text(PARAGRAPH * 3)
    wide = pane.body.height()
    pane.resize(250, 400)
    QApplication.processEvents()
    assert pane.body.height() > wide
