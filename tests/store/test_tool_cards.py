"""Tool cards in the store: migration 8, a checked JSON round trip, interrupted calls, export."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from app.store import ChatStore, schema
from app.store.chat_store import INTERRUPTED_CALL
from app.store.export import RESULT_CHARS, to_json, to_markdown
from app.store.models import ToolCard
from app.store.ownership import Owner

from .conftest import Clock

WEATHER = ToolCard(
    id="call_1",
    server="weather",
    name="forecast",
    arguments={"city": "Zürich", "days": 2},
    raw='{"city": "Zürich", "days": 2}',
    state="done",
    result="Sunny, 21 °C. ```not a fence``` </details>",
    started=1_700_000_000.5,
    ended=1_700_000_001.25,
    text_offset=len("Let me look. "),
)
SHELL = ToolCard(
    id="call_2",
    server="files",
    name="delete_all",
    arguments={"path": "/"},
    state="denied",
    text_offset=len("Let me look. "),
)


def _answer(store: ChatStore, **fields: Any) -> int:
    c = store.create_conversation("Tools")
    store.add_message(c.id, "user", "Weather in Zürich?")
    return store.add_message(c.id, "assistant", "Let me look. It will be sunny.", **fields).id


def test_a_version_7_file_gets_the_column_and_its_answers_have_no_cards(tmp_path: Path) -> None:
    path = tmp_path / "v7.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        schema.migrate(conn, target=7)
        conn.execute("INSERT INTO conversations (id, title, created_at, updated_at) VALUES (1, 'Old', 1, 1)")
        conn.execute(
            "INSERT INTO messages (conversation_id, position, role, content, created_at, updated_at) "
            "VALUES (1, 0, 'assistant', 'An old answer', 2, 2)"
        )
        assert "tool_cards" not in {r[1] for r in conn.execute("PRAGMA table_info(messages)")}
    finally:
        conn.close()
    with ChatStore(path) as store:
        assert schema.user_version(store._conn) == schema.SCHEMA_VERSION >= 8  # migrated to the newest
        (m,) = store.all_messages(1)
        assert (m.content, m.tool_cards) == ("An old answer", ())
        assert store._conn.execute("SELECT tool_cards FROM messages").fetchone()[0] is None


def test_cards_round_trip_and_checkpoints_replace_them(store: ChatStore) -> None:
    mid = _answer(store, status="streaming")
    assert store.get_message(mid).tool_cards == ()
    waiting = ToolCard("call_1", "weather", "forecast", {"city": "Zürich", "days": 2}, text_offset=13)
    store.update_message(mid, tool_cards=[waiting])
    assert store.get_message(mid).tool_cards == (waiting,)
    store.update_message(mid, tool_cards=(WEATHER, SHELL.to_dict()), status="complete")  # dicts too
    m = store.get_message(mid)
    assert m.tool_cards == (WEATHER, SHELL) and isinstance(m.tool_cards[1], ToolCard)
    assert m.content == "Let me look. It will be sunny."  # the text stays in content
    stored = json.loads(
        store._conn.execute("SELECT tool_cards FROM messages WHERE id = ?", (mid,)).fetchone()[0]
    )
    assert stored[0]["arguments"] == {"city": "Zürich", "days": 2} and stored[1]["state"] == "denied"
    store.update_message(mid, tool_cards=())
    assert store.get_message(mid).tool_cards == ()
    assert store._conn.execute("SELECT tool_cards FROM messages WHERE id = ?", (mid,)).fetchone()[0] is None


@pytest.mark.parametrize(
    ("cards", "error"),
    [
        ("[]", TypeError),
        ([{"id": "x", "server": "s", "name": "n", "state": "exploded"}], ValueError),
        ([{"id": "x", "server": "s", "name": "n", "arguments": {"f": {1, 2}}}], ValueError),
        ([{"id": "x", "server": "s", "name": "n", "text_offset": -1}], ValueError),
        ([{"id": 5, "server": "s", "name": "n"}], TypeError),
        ([{"id": "x", "server": "s", "name": "n", "started": float("nan")}], ValueError),
        (["not a card"], TypeError),
    ],
)
def test_bad_cards_are_refused_before_anything_is_written(
    store: ChatStore, cards: object, error: type[Exception]
) -> None:
    mid = _answer(store, tool_cards=[WEATHER])
    with pytest.raises(error):
        store.update_message(mid, tool_cards=cards)
    assert store.get_message(mid).tool_cards == (WEATHER,)


def test_unknown_keys_are_ignored_and_a_damaged_list_still_opens(store: ChatStore) -> None:
    mid = _answer(store)
    later = [{**WEATHER.to_dict(), "added_by_a_later_version": 1}]
    store._conn.execute("UPDATE messages SET tool_cards = ? WHERE id = ?", (json.dumps(later), mid))
    assert store.get_message(mid).tool_cards == (WEATHER,)
    store._conn.execute("UPDATE messages SET tool_cards = '[{\"id\": ' WHERE id = ?", (mid,))
    m = store.get_message(mid)
    assert (m.content, m.tool_cards) == ("Let me look. It will be sunny.", ())


def test_an_interrupted_answer_fails_its_waiting_and_running_cards(qwendesk_home: Path, clock: Clock) -> None:
    gone = Owner(os.getpid(), Owner.current().started - 60)  # this pid, but a process long gone
    with ChatStore.open_default(clock=clock) as writer:
        pass
    with ChatStore(writer.path, clock=clock, owner=gone) as store:
        running = ToolCard("call_1", "weather", "forecast", state="running", started=5.0)
        waiting = ToolCard("call_2", "weather", "forecast", state="waiting")
        mid = _answer(store, status="streaming", tool_cards=[WEATHER, running, waiting])
        assert store.mark_interrupted() == 1
        done, first, second = store.get_message(mid).tool_cards
    assert done == WEATHER
    for card in (first, second):
        assert (card.state, card.result, card.is_error) == ("failed", INTERRUPTED_CALL, True)
        assert card.ended is not None
    assert first.started == 5.0


def test_markdown_puts_each_card_where_it_happened(store: ChatStore) -> None:
    mid = _answer(store, tool_cards=[WEATHER, SHELL])
    m = store.get_message(mid)
    md = to_markdown(store.get_conversation(m.conversation_id), [m])
    before, card1, card2, after = (
        md.index("Let me look."),
        md.index("`forecast`"),
        md.index("`delete_all`"),
        md.index("It will be sunny."),
    )
    assert before < card1 < card2 < after
    assert "**Tool call:** `forecast` (weather) · done" in md
    assert '```json\n{\n  "city": "Zürich",\n  "days": 2\n}\n```' in md  # non-ASCII kept readable
    # The result is folded, in a fence longer than any backtick run inside it.
    assert (
        "<details><summary>Result</summary>\n\n````text\nSunny, 21 °C. ```not a fence``` </details>\n````"
        in md
    )
    assert "**Tool call:** `delete_all` (files) · denied by the user" in md
    assert md.count("<details>") == 1  # a denied call has no result to fold


def test_markdown_caps_long_results_and_shows_raw_unparsed_calls(store: ChatStore) -> None:
    long = ToolCard(
        "call_1", "files", "read", {"path": "a.txt"}, state="done", result="x" * (RESULT_CHARS + 10)
    )
    broken = ToolCard(
        "call_2",
        "",
        "read",
        raw='{"path": ',
        state="failed",
        is_error=True,
        result="not JSON",
        text_offset=999,
    )
    mid = _answer(store, tool_cards=[long, broken])
    m = store.get_message(mid)
    md = to_markdown(store.get_conversation(m.conversation_id), [m])
    assert "x" * RESULT_CHARS + "\n… (10 more characters)" in md and "x" * (RESULT_CHARS + 1) not in md
    assert '```\n{"path": \n```' in md and "<details><summary>Error</summary>" in md
    assert md.index("It will be sunny.") < md.index("**Tool call:** `read` · failed")  # past the end: last


def test_json_carries_the_cards_whole(store: ChatStore) -> None:
    mid = _answer(store, tool_cards=[WEATHER, SHELL])
    m = store.get_message(mid)
    data = to_json(store.get_conversation(m.conversation_id), store.messages(m.conversation_id))
    cards = data["messages"][1]["tool_cards"]
    assert [c["id"] for c in cards] == ["call_1", "call_2"]
    assert cards[0]["result"] == WEATHER.result and cards[0]["arguments"] == WEATHER.arguments
    assert cards[0]["started"].startswith("2023-11-14T22:13:20.5") and cards[1]["started"] is None
    assert data["messages"][0]["tool_cards"] == []
    json.dumps(data)  # serializable as it is


def test_a_conversations_tool_settings_round_trip(tmp_path: Path) -> None:
    with ChatStore(tmp_path / "c.sqlite3") as store:
        conv = store.create_conversation()
        assert conv.tool_rounds is None and conv.allowed_tools == ()
        conv = store.update_conversation(conv.id, tool_rounds=3, allowed_tools=["b", "a", "a"], touch=False)
        assert conv.tool_rounds == 3 and conv.allowed_tools == ("a", "b")
        with pytest.raises(ValueError):
            store.update_conversation(conv.id, tool_rounds=0)
        with pytest.raises(TypeError):
            store.update_conversation(conv.id, allowed_tools="get_weather")
