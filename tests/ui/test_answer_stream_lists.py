"""A streamed answer ends up laid out as the same answer shown whole (lists included)."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from app.ui.answer_view import AnswerView

SAMPLES = {
    "code then list": (
        "Here’s the usual way in **Python**:\n\n```python\nwith open('f') as f:\n    pass\n```\n\n"
        "- `open` gives an iterator of lines\n- the `with` block closes it even on errors"
    ),
    "list then paragraph": "Steps:\n\n1. one\n2. two\n\nThat is all.\n\n```sh\nls\n```\n",
    "nested": "- a\n  - b\n- c\n\nText after.\n\n> quote",
}


def blocks(view: AnswerView) -> list[tuple[str, bool, float, float]]:
    out = []
    block = view.document().begin()
    while block.isValid():
        fmt = block.blockFormat()
        out.append((block.text(), block.textList() is not None, fmt.leftMargin(), fmt.topMargin()))
        block = block.next()
    return out


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_streamed_token_by_token_equals_shown_whole(qtbot: QtBot, name: str) -> None:
    text = SAMPLES[name]
    streamed, whole = AnswerView(), AnswerView()
    qtbot.addWidget(streamed)
    qtbot.addWidget(whole)
    streamed.begin_stream()
    for end in range(1, len(text) + 1, 3):  # a few characters at a time, as tokens arrive
        streamed.update_stream(text[:end])
    streamed.finish_stream(text)
    whole.set_markdown(text)
    listed = [b[0] for b in blocks(streamed) if b[1]]
    assert listed == [b[0] for b in blocks(whole) if b[1]]  # no stray bullets (code label, empty tail)
    assert [b[0] for b in blocks(streamed) if b[0].strip()] == [b[0] for b in blocks(whole) if b[0].strip()]
