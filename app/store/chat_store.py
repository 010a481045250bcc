"""The chat history: conversations and their messages in one SQLite file.

Crash safety: WAL journal with ``synchronous=FULL``, and every write is its own
committed transaction, so whatever a call wrote survives the app being killed
the moment it returns (and a power cut too, as far as the disk honours fsync).
While an answer streams, the UI checkpoints it with :meth:`ChatStore.update_message`
(one UPDATE, one commit: call it every half second or so, not per token); a
message still "streaming" when its process died is made "interrupted" by
:meth:`ChatStore.mark_interrupted` at the next start (one that a live process still writes is
left alone: app.store.ownership). Big writes go in short transactions and every write waits
up to ``BUSY_TIMEOUT_S`` for another process's (app.store.batches). Attachments, their chunk
index and answers' sources are in app.store.attachment_store (a mixin of the same store); field checks
and row conversions in app.store.rows.

Branches: Edit and Regenerate add a new version of a turn (a message with the same parent)
instead of deleting the later turns. :meth:`ChatStore.messages` is the branch on screen (the
conversation's ``leaf_id`` and its ancestors); :meth:`ChatStore.switch_to` shows another one.

One connection, used from the thread that opened it (sqlite3 enforces that).
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from app.paths import data_dir
from app.store.attachment_store import WRITING, AttachmentsMixin
from app.store.batches import BUSY_TIMEOUT_S
from app.store.models import (
    CONVERSATION_FIELDS,
    MESSAGE_FIELDS,
    ROLES,
    Conversation,
    Message,
)
from app.store.ownership import Owner, is_alive
from app.store.rows import (
    conversation_from_row,
    conversation_values,
    fts_phrase,
    like_pattern,
    message_from_row,
    message_values,
    no_conversation,
    tool_cards_from_json,
    tool_cards_json,
)
from app.store.schema import ensure_document_index, ensure_search_index, migrate, transaction

log = logging.getLogger("qwendesk.store")
DB_FILE = "chats.sqlite3"
FTS_MIN_CHARS = 3  # the trigram tokenizer cannot match anything shorter
INTERRUPTED_CALL = "Not finished: QwenDesk closed while this call was waiting or running."

_CONVERSATION_COLUMNS = ", ".join(CONVERSATION_FIELDS)
_MESSAGE_COLUMNS = ", ".join(MESSAGE_FIELDS)
_M_COLUMNS = ", ".join(f"m.{name}" for name in MESSAGE_FIELDS)

# The ids of the branch on screen of conversation :cid, walked up from its leaf. UNION (not
# UNION ALL) so a damaged file with a parent cycle cannot loop forever.
_BRANCH = """WITH RECURSIVE branch (bid) AS (
        SELECT leaf_id FROM conversations WHERE id = :cid AND leaf_id IS NOT NULL
        UNION
        SELECT m.parent_id FROM messages m JOIN branch ON m.id = branch.bid WHERE m.parent_id IS NOT NULL
    )"""


class Parent(enum.Enum):
    """``add_message(parent_id=CURRENT)``: continue the branch on screen."""

    CURRENT = "current"


CURRENT = Parent.CURRENT


class ChatStore(AttachmentsMixin):
    """Conversations and messages; every method is one committed transaction."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Callable[[], float] = time.time,
        owner: Owner | None = None,
    ) -> None:
        """``owner``: the process recorded on streaming answers (tests pass a dead one)."""
        self.path = Path(path)
        self._clock = clock
        self._owner = owner or Owner.current()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # We issue BEGIN/COMMIT ourselves; timeout is SQLite's busy_timeout.
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_S)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":  # e.g. some network file systems
                log.warning("chat history %s: WAL unavailable, journal mode is %s", self.path, mode)
            conn.execute("PRAGMA synchronous = FULL")
            migrate(conn)
            self._fts = ensure_search_index(conn)
            self._doc_fts = ensure_document_index(conn)
        except BaseException:
            conn.close()
            raise
        conn.row_factory = sqlite3.Row
        self._conn = conn
        self._closed = False

    @classmethod
    def open_default(cls, *, clock: Callable[[], float] = time.time) -> ChatStore:
        """The store in the user's data dir (``QWENDESK_HOME`` overrides it)."""
        return cls(data_dir() / DB_FILE, clock=clock)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(sqlite3.Error):  # a read-only or busy file is no reason to fail closing
            self._conn.execute("PRAGMA optimize")
        self._conn.close()

    def __enter__(self) -> ChatStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ---------------------------------------------------------------- conversations

    def create_conversation(
        self,
        title: str = "New chat",
        *,
        model: str | None = None,
        think: bool = True,
        thinking_budget: int | None = None,
        system_prompt: str = "",
        sampling: Mapping[str, float | int | None] | None = None,
    ) -> Conversation:
        values = conversation_values(
            {
                "title": title,
                "model": model,
                "think": think,
                "thinking_budget": thinking_budget,
                "system_prompt": system_prompt,
                "sampling": sampling or {},
            }
        )
        now = self._clock()
        values.update(created_at=now, updated_at=now)
        cur = self._conn.execute(
            f"INSERT INTO conversations ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
            tuple(values.values()),
        )
        assert cur.lastrowid is not None
        return self.get_conversation(cur.lastrowid)

    def get_conversation(self, conversation_id: int) -> Conversation:
        row = self._conn.execute(
            f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if row is None:
            raise no_conversation(conversation_id)
        return conversation_from_row(row)

    def list_conversations(self, include_deleted: bool = False) -> list[Conversation]:
        """Newest (last updated) first."""
        where = "" if include_deleted else "WHERE deleted_at IS NULL"
        rows = self._conn.execute(
            f"SELECT {_CONVERSATION_COLUMNS} FROM conversations {where} ORDER BY updated_at DESC, id DESC"
        )
        return [conversation_from_row(r) for r in rows]

    def update_conversation(self, conversation_id: int, *, touch: bool = True, **fields: Any) -> Conversation:
        """Change settings or the title; ``touch=False`` keeps its place in the list (``updated_at``)."""
        values = conversation_values(fields)
        if touch:
            values["updated_at"] = self._clock()
        if values:
            cur = self._conn.execute(
                f"UPDATE conversations SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                (*values.values(), conversation_id),
            )
            if cur.rowcount == 0:
                raise no_conversation(conversation_id)
        return self.get_conversation(conversation_id)

    def rename(self, conversation_id: int, title: str) -> Conversation:
        return self.update_conversation(conversation_id, title=title)

    def delete(self, conversation_id: int) -> None:
        """Soft delete: hidden from lists and search until purged, and undo-able until then."""
        cur = self._conn.execute(
            "UPDATE conversations SET deleted_at = COALESCE(deleted_at, ?) WHERE id = ?",
            (self._clock(), conversation_id),
        )
        if cur.rowcount == 0:
            raise no_conversation(conversation_id)

    def undelete(self, conversation_id: int) -> None:
        cur = self._conn.execute(
            "UPDATE conversations SET deleted_at = NULL WHERE id = ?", (conversation_id,)
        )
        if cur.rowcount == 0:
            raise no_conversation(conversation_id)

    def purge_deleted(self, older_than_s: float = 0) -> int:
        """Really delete conversations (with their messages and attachments) deleted at least
        ``older_than_s`` ago, and attachments the user removed that long ago; returns how many
        conversations went."""
        cutoff = self._clock() - older_than_s
        with transaction(self._conn):
            self._conn.execute(  # one still being written (WRITING) only once it is that old
                "DELETE FROM attachments WHERE deleted IS NOT NULL AND deleted <= ? "
                "AND (deleted <> ? OR created <= ?)",
                (cutoff, WRITING, cutoff),
            )
            cur = self._conn.execute(
                "DELETE FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at <= ?", (cutoff,)
            )
        return cur.rowcount

    def search(self, query: str) -> list[Conversation]:
        """Conversations whose title, or any message's answer or reasoning, contains ``query``
        (case-insensitive), newest first; deleted ones excluded. An empty query lists all.

        Trigram full-text search for 3+ characters; LIKE for shorter queries (whose case folding
        is ASCII-only) and where this SQLite lacks the trigram tokenizer. A message is searchable
        by FTS once it is no longer streaming.
        """
        q = query.strip()
        if not q:
            return self.list_conversations()
        if self._uses_fts(q):
            where = """id IN (SELECT rowid FROM conversations_fts WHERE conversations_fts MATCH :q)
                OR id IN (SELECT m.conversation_id FROM messages_fts
                          JOIN messages m ON m.id = messages_fts.rowid WHERE messages_fts MATCH :q)"""
            params = {"q": fts_phrase(q)}
        else:
            where = r"""title LIKE :q ESCAPE '\'
                OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id
                           AND (m.content LIKE :q ESCAPE '\' OR m.reasoning LIKE :q ESCAPE '\'))"""
            params = {"q": like_pattern(q)}
        rows = self._conn.execute(
            f"""SELECT {_CONVERSATION_COLUMNS} FROM conversations
                WHERE deleted_at IS NULL AND ({where}) ORDER BY updated_at DESC, id DESC""",
            params,
        )
        return [conversation_from_row(r) for r in rows]

    # --------------------------------------------------------------------- messages

    def add_message(
        self,
        conversation_id: int,
        role: str,
        content: str = "",
        *,
        parent_id: int | Parent | None = CURRENT,
        **fields: Any,
    ) -> Message:
        """Add a turn after ``parent_id`` and put it on screen (it becomes the leaf).

        By default it continues the branch on screen. An explicit parent (or None: a new first
        message) starts another version of a turn, as Edit and Regenerate do, keeping the old one.
        ``think`` defaults to the conversation's current setting.
        """
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r} (expected one of: {', '.join(ROLES)})")
        values = self._owned(message_values({"content": content, **fields}))
        now = self._clock()
        with transaction(self._conn):
            row = self._conn.execute(
                "SELECT think, leaf_id FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
            if row is None:
                raise no_conversation(conversation_id)
            if parent_id is CURRENT:
                parent_id = row["leaf_id"]
            elif parent_id is not None:
                self._require_message_in(conversation_id, parent_id)
            values.setdefault("think", bool(row["think"]))
            (position,) = self._conn.execute(
                "SELECT COALESCE(MAX(position) + 1, 0) FROM messages WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()
            values.update(
                conversation_id=conversation_id,
                position=position,
                parent_id=parent_id,
                role=role,
                created_at=now,
                updated_at=now,
            )
            cur = self._conn.execute(
                f"INSERT INTO messages ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                tuple(values.values()),
            )
            self._conn.execute(
                "UPDATE conversations SET updated_at = ?, leaf_id = ? WHERE id = ?",
                (now, cur.lastrowid, conversation_id),
            )
        assert cur.lastrowid is not None
        return self.get_message(cur.lastrowid)

    def update_message(self, message_id: int, **fields: Any) -> None:
        """Streaming checkpoints and final counts: one UPDATE, nothing read back."""
        values = self._owned(message_values(fields))
        values["updated_at"] = self._clock()
        cur = self._conn.execute(
            f"UPDATE messages SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
            (*values.values(), message_id),
        )
        if cur.rowcount == 0:
            raise KeyError(f"no message with id {message_id}")

    def get_message(self, message_id: int) -> Message:
        row = self._conn.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
        if row is None:
            raise KeyError(f"no message with id {message_id}")
        return message_from_row(row)

    def messages(self, conversation_id: int) -> list[Message]:
        """The branch on screen, first turn to last: what the model is sent and export writes."""
        self._require_conversation(conversation_id)
        rows = self._conn.execute(
            f"""{_BRANCH} SELECT {_M_COLUMNS} FROM branch JOIN messages m ON m.id = branch.bid
                WHERE m.conversation_id = :cid ORDER BY m.position""",
            {"cid": conversation_id},
        )
        return [message_from_row(r) for r in rows]

    def all_messages(self, conversation_id: int) -> list[Message]:
        """Every message of every branch, in the order they were created."""
        self._require_conversation(conversation_id)
        rows = self._conn.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY position",
            (conversation_id,),
        )
        return [message_from_row(r) for r in rows]

    def version_info(self, conversation_id: int) -> dict[int, tuple[int, int]]:
        """For each message on screen: (its 1-based number among its versions, how many there are),
        the "‹ 2/3 ›" of its version switcher. Versions share a parent and go by creation order."""
        self._require_conversation(conversation_id)
        # Grouped here rather than with SQL window functions over the whole conversation: the same
        # answer in a fraction of the time for 1,000 messages (the window opens a long chat).
        on_screen = {
            r[0] for r in self._conn.execute(f"{_BRANCH} SELECT bid FROM branch", {"cid": conversation_id})
        }
        by_parent: dict[int | None, list[int]] = {}
        for mid, parent in self._conn.execute(
            "SELECT id, parent_id FROM messages WHERE conversation_id = ? ORDER BY position",
            (conversation_id,),
        ):
            by_parent.setdefault(parent, []).append(mid)
        info: dict[int, tuple[int, int]] = {}
        for versions in by_parent.values():
            for n, mid in enumerate(versions, 1):
                if mid in on_screen:
                    info[mid] = (n, len(versions))
        return info

    def siblings(self, message_id: int) -> list[int]:
        """The ids of a message's versions (itself included), oldest first."""
        rows = self._conn.execute(
            """SELECT s.id FROM messages m JOIN messages s
                ON s.conversation_id = m.conversation_id AND s.parent_id IS m.parent_id
                WHERE m.id = ? ORDER BY s.position""",
            (message_id,),
        ).fetchall()
        if not rows:
            raise KeyError(f"no message with id {message_id}")
        return [r[0] for r in rows]

    def switch_to(self, message_id: int) -> list[Message]:
        """Put a message on screen with the newest turns under it; returns the new branch.

        Going down, each step takes the reply created last. ``updated_at`` stays: looking at
        another version is no reason for the conversation to jump to the top of the list.
        """
        with transaction(self._conn):
            conversation_id, leaf_id = self._newest_leaf_under(message_id)
            self._conn.execute(
                "UPDATE conversations SET leaf_id = ? WHERE id = ?", (leaf_id, conversation_id)
            )
        return self.messages(conversation_id)

    def _newest_leaf_under(self, message_id: int) -> tuple[int, int]:
        """(conversation id, the last message reached taking the newest child at each step)."""
        row = self._conn.execute(
            """WITH RECURSIVE down (id, cid, position) AS (
                    SELECT id, conversation_id, position FROM messages WHERE id = :mid
                    UNION
                    SELECT c.id, c.conversation_id, c.position FROM down JOIN messages c
                        ON c.conversation_id = down.cid AND c.parent_id = down.id
                    WHERE c.position = (SELECT MAX(x.position) FROM messages x
                                        WHERE x.conversation_id = down.cid AND x.parent_id = down.id)
                )
                SELECT cid, id FROM down ORDER BY position DESC LIMIT 1""",
            {"mid": message_id},
        ).fetchone()
        if row is None:
            raise KeyError(f"no message with id {message_id}")
        return row[0], row[1]

    def matching_messages(self, conversation_id: int, query: str) -> list[int]:
        """Ids of the messages, on any branch, whose answer or reasoning contains ``query``
        (case-insensitive, as :meth:`search`), in creation order: where a search hit jumps to."""
        self._require_conversation(conversation_id)
        q = query.strip()
        if not q:
            return []
        if self._uses_fts(q):
            sql = """SELECT m.id FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
                WHERE messages_fts MATCH :q AND m.conversation_id = :cid ORDER BY m.position"""
            params: dict[str, Any] = {"q": fts_phrase(q), "cid": conversation_id}
        else:
            sql = r"""SELECT id FROM messages WHERE conversation_id = :cid
                AND (content LIKE :q ESCAPE '\' OR reasoning LIKE :q ESCAPE '\') ORDER BY position"""
            params = {"q": like_pattern(q), "cid": conversation_id}
        return [r[0] for r in self._conn.execute(sql, params)]

    def _uses_fts(self, query: str) -> bool:
        return self._fts and len(query) >= FTS_MIN_CHARS

    def delete_messages_from(self, conversation_id: int, position: int) -> int:
        """Drop the turns of the branch on screen at ``position`` and after, with every branch
        that grew from them; the turn before becomes the leaf. Returns how many messages went.

        Edit and Regenerate no longer need it (they add a version: ``add_message(parent_id=…)``).
        """
        with transaction(self._conn):
            self._require_conversation(conversation_id)
            first = self._conn.execute(
                f"""{_BRANCH} SELECT m.id, m.parent_id FROM branch JOIN messages m ON m.id = branch.bid
                    WHERE m.conversation_id = :cid AND m.position >= :pos ORDER BY m.position LIMIT 1""",
                {"cid": conversation_id, "pos": position},
            ).fetchone()
            if first is None:
                return 0
            cur = self._conn.execute(  # DELETE first: sqlite3 gives no rowcount for a WITH statement
                """DELETE FROM messages WHERE id IN (
                    WITH RECURSIVE subtree (id) AS (
                        SELECT :mid
                        UNION
                        SELECT m.id FROM messages m JOIN subtree
                            ON m.conversation_id = :cid AND m.parent_id = subtree.id
                    )
                    SELECT id FROM subtree)""",
                {"mid": first["id"], "cid": conversation_id},
            )
            self._conn.execute(
                "UPDATE conversations SET updated_at = ?, leaf_id = ? WHERE id = ?",
                (self._clock(), first["parent_id"], conversation_id),
            )
        return cur.rowcount

    def _owned(self, values: dict[str, Any]) -> dict[str, Any]:
        if values.get("status") == "streaming":
            values.update(owner_pid=self._owner.pid, owner_started=self._owner.started)
        return values

    def mark_interrupted(self) -> int:
        """At start-up: answers still "streaming" whose process is gone were cut off when it died.

        One that a live process still writes (another window on this file) is left alone.
        """
        rows = self._conn.execute(
            "SELECT id, owner_pid, owner_started FROM messages WHERE status = 'streaming'"
        ).fetchall()
        orphans = [r["id"] for r in rows if not is_alive(r["owner_pid"], r["owner_started"])]
        if not orphans:
            return 0
        now = self._clock()
        with transaction(self._conn):
            cur = self._conn.executemany(  # the status test: it may have ended since it was read
                "UPDATE messages SET status = 'interrupted', updated_at = ? "
                "WHERE id = ? AND status = 'streaming'",
                [(now, i) for i in orphans],
            )
            count = cur.rowcount
            self._settle_cards(orphans, now)
        return count

    def _settle_cards(self, message_ids: list[int], now: float) -> None:
        """Cards of interrupted answers that were still waiting or running can never finish."""
        for mid in message_ids:  # few: the answers one dead process was writing
            row = self._conn.execute(
                "SELECT id, tool_cards FROM messages WHERE id = ? "
                "AND status = 'interrupted' AND tool_cards IS NOT NULL",
                (mid,),
            ).fetchone()
            if row is None:
                continue
            cards = tool_cards_from_json(row["tool_cards"], row["id"])
            if not any(c.state in ("waiting", "running") for c in cards):
                continue
            settled = [
                dataclasses.replace(c, state="failed", is_error=True, ended=now, result=INTERRUPTED_CALL)
                if c.state in ("waiting", "running")
                else c
                for c in cards
            ]
            self._conn.execute(
                "UPDATE messages SET tool_cards = ? WHERE id = ?", (tool_cards_json(settled), row["id"])
            )

    def _require_message_in(self, conversation_id: int, message_id: int) -> None:
        row = self._conn.execute(
            "SELECT conversation_id FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
        if row is None or row[0] != conversation_id:
            raise KeyError(f"no message with id {message_id} in conversation {conversation_id}")

    def _require_conversation(self, conversation_id: int) -> None:
        if (
            self._conn.execute("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
            is None
        ):
            raise no_conversation(conversation_id)
