"""A 500-turn conversation opens with widgets only near the screen; scrolling and search build the rest."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.store.chat_store import ChatStore
from app.ui.chat_view import MAX_BUILT
from app.ui.main_window import MainWindow
from app.ui.message_widget import MessageWidget
from tests.ui.conftest import open_window

ANSWER = (
    "Read it in chunks:\n\n```python\nwith open(path) as f:\n    for line in f:\n        pass\n```\n\nDone."
)


def seed(store: ChatStore, turns: int) -> int:
    conv = store.create_conversation(title="long")
    for i in range(turns):
        store.add_message(conv.id, "user", f"Question {i}: how do I read a large file?")
        store.add_message(
            conv.id, "assistant", f"Answer {i}. {ANSWER}", reasoning="Let me think. " * 20,
            reasoning_collapsed=True, status="complete",
        )  # fmt: skip
    return conv.id


def built(window: MainWindow) -> int:
    return len(window.view.findChildren(MessageWidget))


def test_a_long_conversation_builds_what_is_on_screen(qtbot: QtBot) -> None:
    window = open_window(qtbot, None)
    window.resize(900, 700)
    cid = seed(window.store, 500)
    window.refresh_list()
    window.open_conversation(cid)
    qtbot.wait(50)
    view = window.view
    assert len(view.messages) == 1000
    assert 2 <= built(window) <= 40  # far fewer widgets than messages
    assert view.widgets[-1].message.content.startswith("Answer 499.")
    bar = view.verticalScrollBar()
    assert bar.value() == bar.maximum()  # opened at the end
    assert bar.maximum() > 500 * 2 * 40  # the scroll bar is honest about the length

    bar.setValue(0)  # to the top: the first turns get built, far ones are dropped
    qtbot.waitUntil(lambda: view.widget_for(view.messages[0].id) is not None, timeout=5_000)
    for _ in range(20):  # settle what building above the screen shifts
        qtbot.wait(20)
        bar.setValue(0)
    assert built(window) <= MAX_BUILT
    assert view.widgets[0].message.content.startswith("Question 0:")

    bar.setValue(bar.maximum() // 2)  # the middle, with the layout's own estimate of where it is
    qtbot.waitUntil(lambda: any(w.visibleRegion().isEmpty() is False for w in view.widgets), timeout=5_000)
    assert built(window) <= MAX_BUILT
    window.close()


def test_a_search_hit_opens_at_its_message(qtbot: QtBot) -> None:
    window = open_window(qtbot, None)
    window.resize(900, 700)
    cid = seed(window.store, 200)
    hit = window.store.add_message(cid, "user", "unrelated")  # newest, so the list puts it first
    window.store.update_message(window.store.messages(cid)[101].id, content="The walrus answer.")
    window.conversations.search.setText("walrus")
    window.open_conversation(cid)
    view = window.view
    w = view.widget_for(window.store.messages(cid)[101].id)
    assert w is not None and "walrus" in w.message.content
    top = view.verticalScrollBar().value()
    assert top <= w.y() < top + view.viewport().height()  # on screen, near the top
    assert hit.id != w.message.id
    window.close()
