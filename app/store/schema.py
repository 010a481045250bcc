"""The chat database's schema: versioned migrations and the search index.

``PRAGMA user_version`` is the number of migrations applied. Each migration
runs in its own ``BEGIN IMMEDIATE`` transaction together with the version bump,
so a crash or a second app instance starting at the same moment never leaves a
half-migrated file. A shipped migration is never edited: change the schema by
appending one.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class SchemaTooNewError(RuntimeError):
    """The file was written by a newer QwenDesk; opening it could damage it."""


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction on a connection opened with ``isolation_level=None``.

    IMMEDIATE takes the write lock up front, so reads inside it (the next
    position, the current version) cannot go stale before the write.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@functools.lru_cache(maxsize=1)
def trigram_available() -> bool:
    """FTS5 with the trigram tokenizer needs SQLite ≥ 3.34 built with FTS5; not every Python has it."""
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
        return True
    except sqlite3.Error:
        return False
    finally:
        probe.close()


def has_search_index(conn: sqlite3.Connection) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'messages_fts'"
    ).fetchone()
    return row is not None


# Statuses and roles are checked in Python (app.store.models), not by CHECK constraints:
# SQLite cannot alter a constraint, so a new status would cost a table rebuild.
_V1_TABLES = (
    """CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        model TEXT,
        think INTEGER NOT NULL DEFAULT 1,
        thinking_budget INTEGER,
        system_prompt TEXT NOT NULL DEFAULT '',
        sampling TEXT NOT NULL DEFAULT '{}',
        deleted_at REAL
    )""",
    "CREATE INDEX conversations_by_updated ON conversations (updated_at)",
    """CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        role TEXT NOT NULL,
        content TEXT NOT NULL DEFAULT '',
        reasoning TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'complete',
        finish_reason TEXT,
        think INTEGER NOT NULL DEFAULT 1,
        thinking_s REAL,
        thinking_budget_hit INTEGER NOT NULL DEFAULT 0,
        prompt_tokens INTEGER,
        evaluated_prompt_tokens INTEGER,
        completion_tokens INTEGER,
        reasoning_tokens INTEGER,
        ttft_s REAL,
        decode_tokens_per_s REAL,
        reasoning_collapsed INTEGER,
        model TEXT,
        error TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        UNIQUE (conversation_id, position)
    )""",
    # mark_interrupted() at start-up looks only at these rows.
    "CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming'",
)

# Trigram FTS5 over titles and message text (substring search that works for Chinese), as
# external-content tables kept in sync by triggers. A message is indexed only once it stops
# "streaming": re-indexing a growing answer at every checkpoint costs ~10 ms per update against
# ~0.4 ms without (measured on ext4, averaged over an answer growing to 50 KB).
_SEARCH_INDEX = (
    """CREATE VIRTUAL TABLE conversations_fts USING fts5(
        title, content='conversations', content_rowid='id', tokenize='trigram')""",
    """CREATE VIRTUAL TABLE messages_fts USING fts5(
        content, reasoning, content='messages', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
        INSERT INTO conversations_fts (rowid, title) VALUES (new.id, new.title);
    END""",
    """CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
        INSERT INTO conversations_fts (conversations_fts, rowid, title) VALUES ('delete', old.id, old.title);
    END""",
    """CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title ON conversations BEGIN
        INSERT INTO conversations_fts (conversations_fts, rowid, title) VALUES ('delete', old.id, old.title);
        INSERT INTO conversations_fts (rowid, title) VALUES (new.id, new.title);
    END""",
    """CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.status <> 'streaming' BEGIN
        INSERT INTO messages_fts (rowid, content, reasoning) VALUES (new.id, new.content, new.reasoning);
    END""",
    """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.status <> 'streaming' BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, content, reasoning)
            VALUES ('delete', old.id, old.content, old.reasoning);
    END""",
    """CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, reasoning, status ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, content, reasoning)
            SELECT 'delete', old.id, old.content, old.reasoning WHERE old.status <> 'streaming';
        INSERT INTO messages_fts (rowid, content, reasoning)
            SELECT new.id, new.content, new.reasoning WHERE new.status <> 'streaming';
    END""",
    "INSERT INTO conversations_fts (conversations_fts) VALUES ('rebuild')",
    """INSERT INTO messages_fts (rowid, content, reasoning)
        SELECT id, content, reasoning FROM messages WHERE status <> 'streaming'""",
)


def _create_search_index(conn: sqlite3.Connection) -> None:
    for sql in _SEARCH_INDEX:
        conn.execute(sql)


def _v1_tables(conn: sqlite3.Connection) -> None:
    for sql in _V1_TABLES:
        conn.execute(sql)


def _v2_search_index(conn: sqlite3.Connection) -> None:
    # Without trigram support search falls back to LIKE; ensure_search_index adds the index
    # later if the file is opened by a Python whose SQLite has it.
    if trigram_available():
        _create_search_index(conn)


# Document Q&A: attached files, their chunks, and the sources each answer was given.
# An attachment belongs to its conversation (gone when the conversation is purged) and, once
# sent, to the user message it came with; deleting that message (edit and resend) makes it
# pending again rather than losing it. ``deleted`` is a soft delete: the user removed the
# chip; its chunks stay out of search and are purged with purge_deleted(). A message's sources
# are a snapshot (file, page, passage) so an answer keeps them even after its file is removed.
_V3_DOCUMENT_TABLES = (
    """CREATE TABLE attachments (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        message_id INTEGER REFERENCES messages (id) ON DELETE SET NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        size INTEGER NOT NULL,
        pages INTEGER,
        sha256 TEXT NOT NULL,
        chars INTEGER NOT NULL DEFAULT 0,
        encoding TEXT,
        warnings TEXT NOT NULL DEFAULT '[]',
        created REAL NOT NULL,
        deleted REAL
    )""",
    "CREATE INDEX attachments_by_conversation ON attachments (conversation_id)",
    "CREATE INDEX attachments_by_message ON attachments (message_id)",  # ON DELETE SET NULL looks here
    """CREATE TABLE doc_chunks (
        id INTEGER PRIMARY KEY,
        attachment_id INTEGER NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
        section INTEGER NOT NULL,
        page INTEGER,
        label TEXT NOT NULL DEFAULT '',
        start INTEGER NOT NULL,
        stop INTEGER NOT NULL,
        text TEXT NOT NULL
    )""",
    "CREATE INDEX doc_chunks_by_attachment ON doc_chunks (attachment_id, section, start)",
    """CREATE TABLE message_sources (
        message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        ref INTEGER NOT NULL,
        attachment_id INTEGER REFERENCES attachments (id) ON DELETE SET NULL,
        chunk_id INTEGER,
        file TEXT NOT NULL,
        page INTEGER,
        label TEXT NOT NULL DEFAULT '',
        start INTEGER NOT NULL,
        stop INTEGER NOT NULL,
        score REAL,
        text TEXT NOT NULL,
        PRIMARY KEY (message_id, position)
    ) WITHOUT ROWID""",
    "CREATE INDEX message_sources_by_attachment ON message_sources (attachment_id)",
)

# Trigram FTS5 over chunk text, like the history's index (kept in sync by triggers).
_DOCUMENT_INDEX = (
    """CREATE VIRTUAL TABLE doc_chunks_fts USING fts5(
        text, content='doc_chunks', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER doc_chunks_fts_insert AFTER INSERT ON doc_chunks BEGIN
        INSERT INTO doc_chunks_fts (rowid, text) VALUES (new.id, new.text);
    END""",
    """CREATE TRIGGER doc_chunks_fts_delete AFTER DELETE ON doc_chunks BEGIN
        INSERT INTO doc_chunks_fts (doc_chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END""",
    """CREATE TRIGGER doc_chunks_fts_update AFTER UPDATE OF text ON doc_chunks BEGIN
        INSERT INTO doc_chunks_fts (doc_chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO doc_chunks_fts (rowid, text) VALUES (new.id, new.text);
    END""",
    "INSERT INTO doc_chunks_fts (doc_chunks_fts) VALUES ('rebuild')",
)


def has_document_index(conn: sqlite3.Connection) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'doc_chunks_fts'"
    ).fetchone()
    return row is not None


def _create_document_index(conn: sqlite3.Connection) -> None:
    for sql in _DOCUMENT_INDEX:
        conn.execute(sql)


def _v3_documents(conn: sqlite3.Connection) -> None:
    for sql in _V3_DOCUMENT_TABLES:
        conn.execute(sql)
    if trigram_available():  # else ranking runs in Python; ensure_document_index adds it later
        _create_document_index(conn)


def _v4_sent_content(conn: sqlite3.Connection) -> None:
    # What a user message was sent to the model as, when that differs from what the user typed
    # (documents or passages added). Later turns send it again, so the prompt prefix matches
    # llama.cpp's KV cache and the documents are not evaluated anew every turn.
    conn.execute("ALTER TABLE messages ADD COLUMN sent_content TEXT")


def _v5_remote(conn: sqlite3.Connection) -> None:
    # Which server outside this computer answered (host:port); NULL = the local engine. Kept on
    # the conversation once anything was sent there, so the list can say it left the machine.
    conn.execute("ALTER TABLE conversations ADD COLUMN remote TEXT")
    conn.execute("ALTER TABLE messages ADD COLUMN remote TEXT")


def _v6_stream_owner(conn: sqlite3.Connection) -> None:
    # The process writing a "streaming" answer (pid and start time, app.store.ownership): start-up
    # marks an answer interrupted only when that process is gone, not while another window streams it.
    conn.execute("ALTER TABLE messages ADD COLUMN owner_pid INTEGER")
    conn.execute("ALTER TABLE messages ADD COLUMN owner_started REAL")


def _v7_branches(conn: sqlite3.Connection) -> None:
    # Edit and Regenerate keep the old turns as another branch instead of deleting them: each
    # message points to the previous one on its branch (NULL: a first message), and the conversation
    # to the last message of the branch on screen. ``position`` stays the creation order.
    # No foreign key on parent_id: an ON DELETE CASCADE through a chain of messages recurses once
    # per message, and SQLite stops at 1,000 levels ("too many levels of trigger recursion"), so
    # purging a long conversation would fail; the store deletes a message's subtree itself.
    conn.execute("ALTER TABLE messages ADD COLUMN parent_id INTEGER")
    conn.execute("CREATE INDEX messages_by_parent ON messages (conversation_id, parent_id)")
    conn.execute("ALTER TABLE conversations ADD COLUMN leaf_id INTEGER")
    # Until now a conversation was one line: the parent is the previous message by position.
    conn.execute(
        """UPDATE messages SET parent_id = (
            SELECT p.id FROM messages p WHERE p.conversation_id = messages.conversation_id
            AND p.position < messages.position ORDER BY p.position DESC LIMIT 1)"""
    )
    conn.execute(
        """UPDATE conversations SET leaf_id = (
            SELECT m.id FROM messages m WHERE m.conversation_id = conversations.id
            ORDER BY m.position DESC LIMIT 1)"""
    )


def _v8_tool_cards(conn: sqlite3.Connection) -> None:
    # An answer's tool calls (app.store.models.ToolCard) as a JSON list; NULL = none. One column,
    # not a table: the cards are written with the answer at each streaming checkpoint and always
    # read with it, and no query looks inside them.
    conn.execute("ALTER TABLE messages ADD COLUMN tool_cards TEXT")


def _v9_conversation_tools(conn: sqlite3.Connection) -> None:
    # A conversation's tool settings: its limit of tool-call rounds per answer (NULL = the default)
    # and the tools the user chose "Always allow" for in it (a JSON list of the names the model calls).
    conn.execute("ALTER TABLE conversations ADD COLUMN tool_rounds INTEGER")
    conn.execute("ALTER TABLE conversations ADD COLUMN allowed_tools TEXT NOT NULL DEFAULT '[]'")


Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: tuple[Migration, ...] = (
    _v1_tables,
    _v2_search_index,
    _v3_documents,
    _v4_sent_content,
    _v5_remote,
    _v6_stream_owner,
    _v7_branches,
    _v8_tool_cards,
    _v9_conversation_tools,
)
SCHEMA_VERSION = len(MIGRATIONS)


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> None:
    """Bring the file to ``target`` (tests stop early to make an old-version file)."""
    found = user_version(conn)
    if found > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"the chat history was written by a newer QwenDesk (schema {found}, this one knows up to "
            f"{SCHEMA_VERSION}); update QwenDesk to open it"
        )
    while found < target:
        with transaction(conn):
            found = user_version(conn)  # another instance may have migrated meanwhile
            if found < target:
                MIGRATIONS[found](conn)
                conn.execute(f"PRAGMA user_version = {found + 1}")
        found = user_version(conn)


def ensure_search_index(conn: sqlite3.Connection) -> bool:
    """Whether search can use FTS; builds the index if it is missing but now possible."""
    if not trigram_available():
        return False
    if not has_search_index(conn):
        with transaction(conn):
            if not has_search_index(conn):
                _create_search_index(conn)
    return True


def ensure_document_index(conn: sqlite3.Connection) -> bool:
    """Whether chunk search can use FTS; builds the index if it is missing but now possible."""
    if not trigram_available():
        return False
    if not has_document_index(conn):
        with transaction(conn):
            if not has_document_index(conn):
                _create_document_index(conn)
    return True
