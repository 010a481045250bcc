"""Schema versions: old files are migrated, newer ones refused, a failed step leaves no trace."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.store import SCHEMA_VERSION, ChatStore, SchemaTooNewError, schema


def _old_file(path: Path, version: int) -> None:
    """A chat file as an older QwenDesk left it: schema ``version``, some chats in it."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        schema.migrate(conn, target=version)
        conn.execute(
            "INSERT INTO conversations (id, title, created_at, updated_at, sampling) "
            "VALUES (1, 'Physics notes', 1.0, 5.0, '{\"top_k\": 20}')"
        )
        rows = [
            (1, 0, "user", "什么是量子计算？", "", "complete"),
            (1, 1, "assistant", "Quantum computing uses qubits.", "先解释量子比特。", "complete"),
            (1, 2, "user", "And superposition?", "", "complete"),
            (1, 3, "assistant", "Superposition means", "", "streaming"),
        ]
        conn.executemany(
            "INSERT INTO messages (conversation_id, position, role, content, reasoning, status, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 2.0, 2.0)",
            rows,
        )
    finally:
        conn.close()


def _tables(store: ChatStore) -> set[str]:
    return {r[0] for r in store._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_a_version_1_file_is_migrated_and_its_history_becomes_searchable(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _old_file(path, 1)
    with ChatStore(path) as store:
        assert store._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 9
        assert {"messages_fts", "conversations_fts"} <= _tables(store)
        assert {"attachments", "doc_chunks", "doc_chunks_fts", "message_sources"} <= _tables(store)
        c = store.get_conversation(1)
        assert (c.title, c.sampling, c.think) == ("Physics notes", {"top_k": 20}, True)
        assert [m.position for m in store.messages(1)] == [0, 1, 2, 3]
        for query in ("量子计算", "量子比特", "QUBITS", "physics"):  # all 3+ characters: FTS
            assert [x.id for x in store.search(query)] == [1], query
        assert store.search("superposition means") == []  # still streaming: not indexed yet
        assert store.mark_interrupted() == 1
        assert [x.id for x in store.search("superposition means")] == [1]
        # rank 1: also compare the index with the messages table; raises if they differ
        store._conn.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")


def test_a_fresh_file_goes_straight_to_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    with ChatStore(path):
        pass
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()


def test_a_file_from_a_newer_qwendesk_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    with ChatStore(path):
        pass
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    finally:
        conn.close()
    with pytest.raises(SchemaTooNewError, match="newer QwenDesk"):
        ChatStore(path)


def test_a_failing_migration_rolls_back_with_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.sqlite3"
    with ChatStore(path):
        pass

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE bookmarks (id INTEGER PRIMARY KEY)")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, broken))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        with pytest.raises(RuntimeError, match="disk on fire"):
            schema.migrate(conn, target=SCHEMA_VERSION + 1)
        assert schema.user_version(conn) == SCHEMA_VERSION
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'bookmarks'").fetchone() is None
        assert not conn.in_transaction
    finally:
        conn.close()


def test_without_trigram_support_search_uses_like_and_the_index_comes_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old-sqlite.sqlite3"
    with monkeypatch.context() as m:
        m.setattr(schema, "trigram_available", lambda: False)
        with ChatStore(path) as store:
            assert "messages_fts" not in _tables(store)
            c = store.create_conversation("Notes")
            store.add_message(c.id, "assistant", "量子计算 and Qubits")
            assert [x.id for x in store.search("qubits")] == [c.id]
            assert [x.id for x in store.search("量子计算")] == [c.id]
    with ChatStore(path) as store:  # a newer SQLite opens the file: the index is built
        assert "messages_fts" in _tables(store)
        assert store._fts
        assert [x.id for x in store.search("量子计算")] == [c.id]
        assert [x.id for x in store.search("QUBITS")] == [c.id]


def test_a_version_3_file_gets_sent_content_and_keeps_its_messages(tmp_path: Path) -> None:
    path = tmp_path / "v3.sqlite3"
    _old_file(path, 3)
    with ChatStore(path) as store:
        first = store.messages(1)[0]
        assert first.content == "什么是量子计算？" and first.sent_content is None
        store.update_message(first.id, sent_content="[1] notes.pdf, p. 2 …\n\n什么是量子计算？")
        assert store.get_message(first.id).sent_content.startswith("[1] notes.pdf")
