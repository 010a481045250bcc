"""A streamed answer ends as tall as the same answer opened again from the history (within a line)."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from app.ui.answer_view import AnswerView

TEXTS = [
    "Just one paragraph.",
    "A paragraph.\n\n- one\n- two\n\nAnd a closing line.",
    "Some code:\n\n```python\nprint(1)\n```",
    "Some code:\n\n```python\nprint(1)\n```\n\nThen text after it.",
]


@pytest.mark.parametrize("text", TEXTS)
def test_streamed_and_reopened_answers_are_the_same_height(qtbot: QtBot, text: str) -> None:
    streamed, reopened = AnswerView(), AnswerView()
    for view in (streamed, reopened):
        qtbot.addWidget(view)
        view.resize(600, 100)
        view.show()
    streamed.begin_stream()
    for i in range(1, len(text) + 1, 3):
        streamed.update_stream(text[:i])
    streamed.finish_stream(text)
    reopened.set_markdown(text)
    qtbot.wait(10)
    assert streamed.toPlainText().strip() == reopened.toPlainText().strip()
    # Within a line: the streamed paragraphs' spacing is plain where the whole render's has
    # margins (a few pixels), but no blank line above a code block or below the answer.
    assert abs(streamed.height() - reopened.height()) < streamed.fontMetrics().lineSpacing()
