"""The look: the style sheet fills in light and dark, the composer grows, the list groups by day."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.store.models import Conversation
from app.ui import theme
from app.ui.composer import MAX_LINES, Composer
from app.ui.conversation_list import ConversationList, group_of


@pytest.mark.parametrize("dark", [False, True])
def test_style_sheet_fills_every_colour_name(dark: bool) -> None:
    sheet = theme.style_sheet(dark)
    assert "#composerFrame" in sheet and "#userBubble" in sheet
    assert re.findall(r"@\w+", sheet) == []
    assert theme.colors(dark)["bg"] in sheet


def test_palettes_have_the_same_names_and_the_fallback_matches_them() -> None:
    palettes = json.loads((theme.STYLE_DIR / "palettes.json").read_text(encoding="utf-8"))
    assert palettes["light"].keys() == palettes["dark"].keys()
    for mode, fallback in theme._FALLBACK.items():  # what a pip install without resources/ gets
        assert fallback == {k: palettes[mode][k] for k in fallback}


def test_without_resources_only_the_palette_applies(qtbot: QtBot, monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(theme, "STYLE_DIR", tmp_path / "missing")
    theme._palettes.cache_clear()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        theme.apply(app, True)
        assert app.styleSheet() == ""
        assert app.palette().window().color().name() == theme.colors(True)["bg"]
    finally:
        monkeypatch.undo()
        theme._palettes.cache_clear()
        theme.apply(app, False)


@pytest.mark.parametrize("dark", [False, True])
def test_apply_sets_the_style_sheet_and_a_clean_background(qtbot: QtBot, dark: bool) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        theme.apply(app, dark)
        assert app.styleSheet() == theme.style_sheet(dark) != ""
        assert app.palette().window().color().name() == theme.colors(dark)["bg"]
    finally:
        theme.apply(app, False)


def test_composer_grows_with_its_text_up_to_the_cap(qtbot: QtBot) -> None:
    composer = Composer()
    qtbot.addWidget(composer)
    composer.resize(700, 300)
    composer.show()
    line = composer.input.fontMetrics().lineSpacing()
    one = composer.input.height()
    composer.input.setPlainText("one\ntwo\nthree")
    three = composer.input.height()
    assert three == one + 2 * line
    composer.input.setPlainText("\n".join(str(i) for i in range(MAX_LINES)))
    capped = composer.input.height()
    assert capped == one + (MAX_LINES - 1) * line
    composer.input.setPlainText("\n".join(str(i) for i in range(MAX_LINES * 3)))
    assert composer.input.height() == capped  # beyond the cap it scrolls
    assert composer.input.verticalScrollBar().maximum() > 0
    composer.input.clear()
    assert composer.input.height() == one


def test_composer_frame_shows_the_input_focus(qtbot: QtBot) -> None:
    composer = Composer()
    qtbot.addWidget(composer)
    assert composer.input.objectName() == "composerInput"
    assert composer.input.parent() is composer.frame and composer.send_button.parent() is composer.frame
    QApplication.sendEvent(composer.input, QFocusEvent(QEvent.Type.FocusIn))
    assert composer.frame.property("focused") is True
    QApplication.sendEvent(composer.input, QFocusEvent(QEvent.Type.FocusOut))
    assert composer.frame.property("focused") is False


def _at(day: datetime, hour: int) -> float:
    return day.replace(hour=hour, minute=0, second=0, microsecond=0).timestamp()


def test_group_of_uses_local_calendar_days() -> None:
    now = datetime(2026, 3, 10, 9, 30)
    clock = now.timestamp()
    assert group_of(_at(now, 0), clock) == "today"
    assert group_of(_at(now - timedelta(days=1), 23), clock) == "yesterday"
    assert group_of(_at(now - timedelta(days=2), 12), clock) == "week"
    assert group_of(_at(now - timedelta(days=7), 1), clock) == "week"
    assert group_of(_at(now - timedelta(days=8), 23), clock) == "older"


def test_list_groups_by_day_and_the_keys_skip_headers(qtbot: QtBot) -> None:
    now = datetime(2026, 3, 10, 15, 0)
    clock = now.timestamp()
    days = {1: 0, 2: 0, 3: 1, 4: 5, 5: 40}  # id → days ago; none in between yesterday and last week
    convs = [
        Conversation(id=i, title=f"chat {i}", created_at=0.0, updated_at=_at(now - timedelta(days=d), 12 - i))
        for i, d in days.items()
    ]
    lst = ConversationList()
    qtbot.addWidget(lst)
    lst.show()
    lst.set_conversations(convs, current=2, now=clock)
    assert lst.group_headers() == [
        ("Today", [1, 2]),
        ("Yesterday", [3]),
        ("Previous 7 days", [4]),
        ("Older", [5]),
    ]
    assert lst.ids() == [1, 2, 3, 4, 5]  # rows are conversations only
    assert lst.list.item(0).text().startswith("chat 1\n")
    with qtbot.waitSignal(lst.selected) as chosen:
        qtbot.keyClick(lst.list, Qt.Key.Key_Down)  # from the last of Today past the Yesterday header
    assert chosen.args == [3] and lst.current_id() == 3
    first, second = lst.list.visualItemRect(lst.list.item(1)), lst.list.visualItemRect(lst.list.item(2))
    assert second.height() > first.height()  # room for the header drawn above the group's first row


def test_list_leaves_out_empty_groups(qtbot: QtBot) -> None:
    lst = ConversationList()
    qtbot.addWidget(lst)
    clock = time.time()
    lst.set_conversations(
        [Conversation(id=7, title="old", created_at=0.0, updated_at=clock - 90 * 86_400)],
        current=None,
        now=clock,
    )
    assert lst.group_headers() == [("Older", [7])]
