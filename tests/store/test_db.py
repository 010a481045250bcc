"""ChatStore on real SQLite files: conversations, messages, errors, durability settings."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from app.store import SCHEMA_VERSION, ChatStore
from app.store.chat_store import DB_FILE
from app.store.ownership import Owner

from .conftest import Clock


def test_open_default_uses_the_data_dir_with_wal_full_sync_and_foreign_keys(
    store: ChatStore, qwendesk_home: Path
) -> None:
    assert store.path == qwendesk_home / DB_FILE == qwendesk_home / "chats.sqlite3"
    assert store.path.is_file()
    conn = store._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_explicit_path_and_reopen_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "mine.sqlite3"
    with ChatStore(path) as s:
        c = s.create_conversation("Kept", model="Qwen3-8B-Q4_K_M.gguf", think=False, sampling={"top_k": 5})
        s.add_message(c.id, "user", "hello")
        c = s.get_conversation(c.id)
    with ChatStore(path) as s:
        assert s.get_conversation(c.id) == c
        assert [m.content for m in s.messages(c.id)] == ["hello"]


def test_create_and_get_conversation_round_trips_every_field(store: ChatStore) -> None:
    c = store.create_conversation(
        "Trip",
        model="Qwen3-8B",
        think=False,
        thinking_budget=512,
        system_prompt="Be brief.",
        sampling={"temperature": 0.7, "top_k": 20, "seed": 3, "min_p": None},
    )
    assert (c.title, c.model, c.think, c.thinking_budget, c.system_prompt) == (
        "Trip",
        "Qwen3-8B",
        False,
        512,
        "Be brief.",
    )
    assert c.sampling == {"temperature": 0.7, "top_k": 20, "seed": 3}  # None = use the preset
    assert isinstance(c.sampling["top_k"], int)
    assert c.created_at == c.updated_at and c.deleted_at is None and not c.deleted
    assert store.get_conversation(c.id) == c
    default = store.create_conversation()
    assert (default.title, default.think, default.sampling, default.system_prompt) == (
        "New chat",
        True,
        {},
        "",
    )


def test_missing_ids_raise_key_error_naming_them(store: ChatStore) -> None:
    for call in (
        lambda: store.get_conversation(42),
        lambda: store.update_conversation(42, title="x"),
        lambda: store.rename(42, "x"),
        lambda: store.delete(42),
        lambda: store.undelete(42),
        lambda: store.messages(42),
        lambda: store.add_message(42, "user", "hi"),
        lambda: store.delete_messages_from(42, 0),
    ):
        with pytest.raises(KeyError, match="no conversation with id 42"):
            call()
    with pytest.raises(KeyError, match="no message with id 7"):
        store.get_message(7)
    with pytest.raises(KeyError, match="no message with id 7"):
        store.update_message(7, content="x")


def test_bad_fields_and_values_raise_clear_errors(store: ChatStore) -> None:
    c = store.create_conversation()
    with pytest.raises(ValueError, match="'colour' is not a field"):
        store.update_conversation(c.id, colour="red")
    with pytest.raises(ValueError, match="'created_at' is set by the store"):
        store.update_conversation(c.id, created_at=0.0)
    with pytest.raises(ValueError, match="unknown sampling key 'temp'"):
        store.create_conversation(sampling={"temp": 0.5})
    with pytest.raises(ValueError, match="finite number"):
        store.update_conversation(c.id, sampling={"temperature": "hot"})
    with pytest.raises(ValueError, match="finite number"):
        store.update_conversation(c.id, sampling={"temperature": float("nan")})
    with pytest.raises(ValueError, match="unknown role 'system'"):
        store.add_message(c.id, "system", "x")
    with pytest.raises(ValueError, match="unknown status 'done'"):
        store.add_message(c.id, "assistant", status="done")
    m = store.add_message(c.id, "user", "hi")
    with pytest.raises(ValueError, match="unknown status 'finished'"):
        store.update_message(m.id, status="finished")
    with pytest.raises(ValueError, match="'position' is set by the store"):
        store.update_message(m.id, position=3)
    with pytest.raises(ValueError, match="'role' is set by the store"):
        store.update_message(m.id, role="assistant")
    with pytest.raises(TypeError, match="content must be a str"):
        store.update_message(m.id, content=None)
    assert store.get_message(m.id) == m  # nothing half-written
    assert store.get_conversation(c.id).sampling == {}


def test_list_is_newest_first_and_updates_bump_unless_touch_false(store: ChatStore) -> None:
    a = store.create_conversation("a")
    b = store.create_conversation("b")
    assert [c.title for c in store.list_conversations()] == ["b", "a"]
    store.update_conversation(a.id, think=False)
    assert [c.title for c in store.list_conversations()] == ["a", "b"]
    before = store.get_conversation(b.id)
    after = store.update_conversation(b.id, touch=False, system_prompt="quiet")
    assert after.system_prompt == "quiet" and after.updated_at == before.updated_at
    assert [c.title for c in store.list_conversations()] == ["a", "b"]
    assert store.rename(b.id, "b2").title == "b2"
    assert [c.title for c in store.list_conversations()] == ["b2", "a"]
    store.add_message(a.id, "user", "hi")  # a new turn counts as an update
    assert [c.title for c in store.list_conversations()] == ["a", "b2"]


def test_soft_delete_undelete_and_purge(store: ChatStore, clock: Clock) -> None:
    keep = store.create_conversation("keep")
    gone = store.create_conversation("gone")
    store.add_message(gone.id, "user", "bye")
    store.add_message(gone.id, "assistant", "bye!")
    store.delete(gone.id)
    deleted_at = store.get_conversation(gone.id).deleted_at
    assert deleted_at is not None
    store.delete(gone.id)  # deleting twice keeps the first time
    assert store.get_conversation(gone.id).deleted_at == deleted_at
    assert [c.id for c in store.list_conversations()] == [keep.id]
    assert {c.id for c in store.list_conversations(include_deleted=True)} == {keep.id, gone.id}
    assert len(store.messages(gone.id)) == 2  # still there: undo is possible

    store.undelete(gone.id)
    assert store.get_conversation(gone.id).deleted_at is None
    store.delete(gone.id)
    assert store.purge_deleted(older_than_s=3600) == 0  # deleted only a tick ago
    clock.now += 7200
    assert store.purge_deleted(older_than_s=3600) == 1
    assert store.purge_deleted() == 0
    with pytest.raises(KeyError):
        store.get_conversation(gone.id)
    assert store._conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0
    assert [c.id for c in store.list_conversations(include_deleted=True)] == [keep.id]


def test_add_message_positions_defaults_and_every_field(store: ChatStore) -> None:
    c = store.create_conversation(think=False)
    u = store.add_message(c.id, "user", "What is 17 × 23?")
    assert (u.position, u.role, u.content, u.status, u.think, u.reasoning) == (
        0,
        "user",
        "What is 17 × 23?",
        "complete",
        False,  # the conversation's mode
        "",
    )
    fields: dict[str, Any] = dict(  # Any: a dict[str, object] could be parent_id, which is typed
        reasoning="17 × 23 = 391",
        status="complete",
        finish_reason="stop",
        think=True,
        thinking_s=1.5,
        thinking_budget_hit=True,
        prompt_tokens=30,
        evaluated_prompt_tokens=12,
        completion_tokens=40,
        reasoning_tokens=25,
        ttft_s=0.25,
        decode_tokens_per_s=31.5,
        reasoning_collapsed=False,
        model="Qwen3-8B",
        error=None,
    )
    a = store.add_message(c.id, "assistant", "391", **fields)
    assert a.position == 1 and a.content == "391" and a.conversation_id == c.id
    for name, value in fields.items():
        assert getattr(a, name) == value, name
    assert type(a.thinking_budget_hit) is bool and type(a.reasoning_collapsed) is bool
    assert store.get_message(a.id) == a
    assert [m.id for m in store.messages(c.id)] == [u.id, a.id]
    assert store.get_conversation(c.id).updated_at == a.created_at
    assert store.messages(store.create_conversation().id) == []


class CountingConnection:
    """Records what the store asks SQLite to execute."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.statements: list[str] = []

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
        self.statements.append(sql)
        return self.conn.execute(sql, *args)

    def __getattr__(self, name: str) -> object:
        return getattr(self.conn, name)


def test_update_message_is_one_statement_and_round_trips(store: ChatStore) -> None:
    c = store.create_conversation()
    store.add_message(c.id, "user", "hi")
    a = store.add_message(c.id, "assistant", status="streaming", think=True, reasoning_collapsed=None)
    assert a.reasoning_collapsed is None
    conn = store._conn
    store._conn = counting = CountingConnection(conn)  # type: ignore[assignment]
    try:
        store.update_message(a.id, reasoning="The user greets me.", content="Hel", completion_tokens=9)
    finally:
        store._conn = conn
    assert len(counting.statements) == 1 and counting.statements[0].startswith("UPDATE messages SET")
    assert not conn.in_transaction  # committed on its own
    store.update_message(
        a.id,
        content="Hello!",
        status="complete",
        finish_reason="stop",
        thinking_s=0.8,
        reasoning_collapsed=True,
    )
    m = store.get_message(a.id)
    assert (m.content, m.reasoning, m.status, m.finish_reason, m.completion_tokens, m.thinking_s) == (
        "Hello!",
        "The user greets me.",
        "complete",
        "stop",
        9,
        0.8,
    )
    assert m.reasoning_collapsed is True and m.updated_at > a.updated_at and m.created_at == a.created_at


def test_delete_messages_from_position(store: ChatStore) -> None:
    c = store.create_conversation()
    for i in range(4):
        store.add_message(c.id, ("user", "assistant")[i % 2], f"m{i}")
    before = store.get_conversation(c.id).updated_at
    assert store.delete_messages_from(c.id, 2) == 2
    assert [m.content for m in store.messages(c.id)] == ["m0", "m1"]
    assert store.get_conversation(c.id).updated_at > before
    assert store.add_message(c.id, "user", "again").position == 2  # positions continue with no gap
    assert store.delete_messages_from(c.id, 10) == 0
    assert store.delete_messages_from(c.id, 0) == 3
    assert store.messages(c.id) == []


def test_mark_interrupted_only_touches_streaming_messages(store: ChatStore) -> None:
    # Written by a process that has ended since (this pid, another start time: app.store.ownership).
    gone = Owner(os.getpid(), Owner.current().started - 60)
    with ChatStore(store.path, owner=gone) as before:
        c = before.create_conversation()
        done = before.add_message(c.id, "assistant", "ok")
        cancelled = before.add_message(c.id, "assistant", "half", status="cancelled")
        live = before.add_message(c.id, "assistant", "cut o", status="streaming")
        other = before.add_message(before.create_conversation().id, "assistant", "also", status="streaming")
    assert store.mark_interrupted() == 2
    assert [store.get_message(m.id).status for m in (done, cancelled, live, other)] == [
        "complete",
        "cancelled",
        "interrupted",
        "interrupted",
    ]
    assert store.get_message(live.id).content == "cut o"
    assert store.mark_interrupted() == 0


def test_close_is_idempotent_and_the_store_is_a_context_manager(tmp_path: Path) -> None:
    with ChatStore(tmp_path / "x.sqlite3") as s:
        s.create_conversation()
    s.close()
    with pytest.raises(sqlite3.ProgrammingError):
        s.list_conversations()


def test_a_file_that_is_not_a_database_is_refused_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(sqlite3.DatabaseError):
        ChatStore(path)
