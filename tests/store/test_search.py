"""Search: titles, answers and reasoning; English and Chinese; FTS kept in sync by triggers."""

from __future__ import annotations

import pytest

from app.store import ChatStore


def ids(found: list) -> list[int]:
    return [c.id for c in found]


def fts_in_sync(store: ChatStore) -> None:
    """FTS5's own check, comparing both indexes with their tables (rank 1); raises if they differ."""
    for table in ("messages_fts", "conversations_fts"):
        store._conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)")


@pytest.fixture
def chats(store: ChatStore) -> dict[str, int]:
    physics = store.create_conversation("Physics homework")
    store.add_message(physics.id, "user", "请解释一下量子计算的基本原理。")
    store.add_message(
        physics.id,
        "assistant",
        "量子计算利用量子比特的叠加和纠缠。",
        reasoning="The user asks about Qubits in Chinese.",
    )
    cooking = store.create_conversation("Dinner")
    store.add_message(cooking.id, "user", "How long do I boil an egg?")
    store.add_message(
        cooking.id, "assistant", "About 7 minutes for a jammy yolk.", reasoning="Soft vs hard-boiled."
    )
    trip = store.create_conversation("量子 trip to Kyoto")
    return {"physics": physics.id, "cooking": cooking.id, "trip": trip.id}


def test_search_title_content_and_reasoning_case_insensitively(
    store: ChatStore, chats: dict[str, int]
) -> None:
    assert ids(store.search("physics")) == [chats["physics"]]  # title
    assert ids(store.search("BOIL AN")) == [chats["cooking"]]  # content, across a space
    assert ids(store.search("qubits")) == [chats["physics"]]  # reasoning
    assert ids(store.search("hard-boiled")) == [chats["cooking"]]
    assert ids(store.search("kyoto")) == [chats["trip"]]
    assert store.search("quantum") == []


def test_search_chinese(store: ChatStore, chats: dict[str, int]) -> None:
    assert ids(store.search("量子计算")) == [chats["physics"]]
    assert ids(store.search("叠加和纠缠")) == [chats["physics"]]
    assert ids(store.search("量子")) == [chats["trip"], chats["physics"]]  # 2 characters: LIKE; newest first
    assert store.search("量子力学") == []


def test_short_queries_fall_back_to_like(store: ChatStore, chats: dict[str, int]) -> None:
    assert ids(store.search("Eg")) == [chats["cooking"]]
    assert ids(store.search("7 ")) == [chats["cooking"]]
    assert ids(store.search("%")) == []  # LIKE wildcards are literal
    assert ids(store.search("_")) == []
    assert ids(store.search("  ")) == ids(store.list_conversations())  # empty: everything


def test_query_syntax_is_taken_literally(store: ChatStore) -> None:
    c = store.create_conversation('say "hi" AND (bye) * NEAR')
    for q in ('"hi"', "AND (bye)", ") * NEAR", 'say "', "100%_"):
        store.search(q)  # never an FTS syntax error
    assert ids(store.search('say "hi"')) == [c.id]
    assert ids(store.search("(bye) *")) == [c.id]


def test_newest_first_and_deleted_excluded(store: ChatStore, chats: dict[str, int]) -> None:
    store.add_message(chats["cooking"], "user", "And a physics question: why does the egg harden?")
    assert ids(store.search("physics")) == [chats["cooking"], chats["physics"]]
    store.delete(chats["cooking"])
    assert ids(store.search("physics")) == [chats["physics"]]
    assert ids(store.search("eg")) == []
    store.undelete(chats["cooking"])
    assert ids(store.search("harden")) == [chats["cooking"]]


def test_index_follows_updates_deletes_and_purges(store: ChatStore, chats: dict[str, int]) -> None:
    store.rename(chats["trip"], "Osaka")
    assert store.search("kyoto") == [] and ids(store.search("osaka")) == [chats["trip"]]
    c = store.create_conversation()
    m = store.add_message(c.id, "assistant", "first draft")
    store.update_message(m.id, content="second version", reasoning="rethinking")
    assert store.search("first draft") == []
    assert ids(store.search("second version")) == ids(store.search("rethinking")) == [c.id]
    store.update_message(m.id, reasoning_collapsed=True)  # no text change: index untouched
    store.delete_messages_from(c.id, 0)
    assert store.search("second version") == []
    fts_in_sync(store)
    store.delete(chats["physics"])
    assert store.purge_deleted() == 1  # messages go by cascade, their index entries with them
    assert (
        store._conn.execute(
            "SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH '量子比特'"
        ).fetchone()[0]
        == 0
    )
    fts_in_sync(store)


def test_a_streaming_answer_is_indexed_once_it_ends(store: ChatStore) -> None:
    c = store.create_conversation()
    m = store.add_message(c.id, "assistant", status="streaming")
    for text in ("Photo", "Photosynth", "Photosynthesis turns light into sugar."):
        store.update_message(m.id, content=text)
    assert store.search("photosynthesis") == []  # checkpoints do not re-index
    assert ids(store.search("ph")) == [c.id]  # LIKE reads the table itself
    store.update_message(m.id, status="complete", finish_reason="stop")
    assert ids(store.search("photosynthesis")) == [c.id]
    fts_in_sync(store)
    m2 = store.add_message(c.id, "assistant", "Chlorophyll", status="streaming")
    store.delete_messages_from(c.id, m2.position)  # deleting a never-indexed row is fine too
    fts_in_sync(store)
