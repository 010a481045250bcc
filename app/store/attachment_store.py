"""The attachments part of the chat store: extracted files, their chunk index and the sources of answers.

A mixin of :class:`app.store.chat_store.ChatStore` (one connection, one owner): the conversations
and messages are there, the documents here, so neither module is the hub of everything.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Sequence

from app.documents.context import DocumentText, Passage, Source
from app.documents.document import Page
from app.documents.prepare import PreparedAttachment
from app.documents.retrieval import fts_query, query_terms, rank_texts
from app.store.batches import insert_in_batches
from app.store.models import ATTACHMENT_FIELDS, Attachment
from app.store.schema import transaction

# ``deleted`` of an attachment whose chunks are still being written (in batches): hidden until
# the last one is in; purge_deleted() clears one left by a crash once it is as old as its cutoff.
WRITING = 0.0
_ATTACHMENT_COLUMNS = ", ".join(f"a.{name}" for name in ATTACHMENT_FIELDS)
_PASSAGE_COLUMNS = "c.id, c.attachment_id, a.name, c.page, c.label, c.start, c.stop, c.text"


class AttachmentsMixin:
    """Attachments of conversations; every method is one committed transaction (a big file: several)."""

    _conn: sqlite3.Connection
    _clock: Callable[[], float]
    _doc_fts: bool

    def _require_message_in(self, conversation_id: int, message_id: int) -> None:
        raise NotImplementedError

    def _require_conversation(self, conversation_id: int) -> None:
        raise NotImplementedError

    def add_attachment(
        self, conversation_id: int, prepared: PreparedAttachment, *, message_id: int | None = None
    ) -> Attachment:
        """Store an extracted file and its chunks (and so index them).

        The chunks go in batches (app.store.batches), each its own transaction, so a big file
        never holds the write lock for long; the attachment stays hidden (``deleted`` is
        :data:`WRITING`) until the last is in, and is removed again if the write fails.
        Without ``message_id`` it is pending (dropped on the composer, not sent yet):
        :meth:`attach_pending` ties it to the user message that goes out with it.
        """
        doc = prepared.document
        with transaction(self._conn):
            self._require_conversation(conversation_id)
            if message_id is not None:
                self._require_message_in(conversation_id, message_id)
            cur = self._conn.execute(
                """INSERT INTO attachments (conversation_id, message_id, name, kind, size, pages, sha256,
                    chars, encoding, warnings, created, deleted)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    conversation_id,
                    message_id,
                    doc.name,
                    doc.kind,
                    doc.size,
                    doc.page_count,
                    doc.sha256,
                    doc.chars,
                    doc.encoding,
                    json.dumps(list(doc.warnings), ensure_ascii=False),
                    self._clock(),
                    WRITING,
                ),
            )
            attachment_id = cur.lastrowid
        assert attachment_id is not None
        try:
            insert_in_batches(
                self._conn,
                "INSERT INTO doc_chunks (attachment_id, section, page, label, start, stop, text) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    (attachment_id, c.section, c.page, c.label, c.start, c.end, c.text)
                    for c in prepared.chunks
                ),
                text_column=6,
            )
            cur = self._conn.execute(
                "UPDATE attachments SET deleted = NULL WHERE id = ? AND deleted = ?", (attachment_id, WRITING)
            )
            if cur.rowcount == 0:  # purged meanwhile by another process
                raise KeyError(f"attachment {attachment_id} was removed while it was written")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("DELETE FROM attachments WHERE id = ?", (attachment_id,))
            raise
        return self.get_attachment(attachment_id)

    def get_attachment(self, attachment_id: int) -> Attachment:
        row = self._conn.execute(
            f"SELECT {_ATTACHMENT_COLUMNS} FROM attachments a WHERE a.id = ?", (attachment_id,)
        ).fetchone()
        if row is None:
            raise KeyError(f"no attachment with id {attachment_id}")
        return _attachment(row)

    def attachments(self, conversation_id: int, *, include_deleted: bool = False) -> list[Attachment]:
        """The conversation's attachments, sent and pending, in the order they were added."""
        self._require_conversation(conversation_id)
        where = "" if include_deleted else "AND a.deleted IS NULL"
        rows = self._conn.execute(
            f"SELECT {_ATTACHMENT_COLUMNS} FROM attachments a WHERE a.conversation_id = ? {where} "
            "ORDER BY a.id",
            (conversation_id,),
        )
        return [_attachment(r) for r in rows]

    def message_attachments(self, message_id: int) -> list[Attachment]:
        """The chips of one user message."""
        rows = self._conn.execute(
            f"SELECT {_ATTACHMENT_COLUMNS} FROM attachments a WHERE a.message_id = ? AND a.deleted IS NULL "
            "ORDER BY a.id",
            (message_id,),
        )
        return [_attachment(r) for r in rows]

    def pending_attachments(self, conversation_id: int) -> list[Attachment]:
        """Attached in the composer but not sent with a message yet."""
        return [a for a in self.attachments(conversation_id) if a.message_id is None]

    def attach_pending(self, conversation_id: int, message_id: int) -> int:
        """Tie the pending attachments to the user message just sent; returns how many."""
        with transaction(self._conn):
            self._require_message_in(conversation_id, message_id)
            cur = self._conn.execute(
                "UPDATE attachments SET message_id = ? "
                "WHERE conversation_id = ? AND message_id IS NULL AND deleted IS NULL",
                (message_id, conversation_id),
            )
        return cur.rowcount

    def find_attachment(self, conversation_id: int, sha256: str) -> Attachment | None:
        """The same file already attached to this conversation (not removed), if any."""
        row = self._conn.execute(
            f"SELECT {_ATTACHMENT_COLUMNS} FROM attachments a WHERE a.conversation_id = ? AND a.sha256 = ? "
            "AND a.deleted IS NULL ORDER BY a.id LIMIT 1",
            (conversation_id, sha256),
        ).fetchone()
        return _attachment(row) if row is not None else None

    def remove_attachment(self, attachment_id: int) -> None:
        """The user removed the chip: out of lists and search at once, undo-able until purged."""
        cur = self._conn.execute(
            "UPDATE attachments SET deleted = COALESCE(deleted, ?) WHERE id = ?",
            (self._clock(), attachment_id),
        )
        if cur.rowcount == 0:
            raise KeyError(f"no attachment with id {attachment_id}")

    def restore_attachment(self, attachment_id: int) -> None:
        cur = self._conn.execute("UPDATE attachments SET deleted = NULL WHERE id = ?", (attachment_id,))
        if cur.rowcount == 0:
            raise KeyError(f"no attachment with id {attachment_id}")

    def attachment_text(self, attachment_id: int) -> DocumentText:
        """The attachment's pages rebuilt from its chunks (which overlap and cover each page)."""
        attachment = self.get_attachment(attachment_id)
        rows = self._conn.execute(
            "SELECT section, page, label, start, stop, text FROM doc_chunks WHERE attachment_id = ? "
            "ORDER BY section, start",
            (attachment_id,),
        ).fetchall()
        pages: list[Page] = []
        i = 0
        while i < len(rows):
            section = rows[i]["section"]
            parts: list[str] = []
            labels: set[str] = set()
            covered = 0
            while i < len(rows) and rows[i]["section"] == section:
                row = rows[i]
                parts.append(row["text"][max(0, covered - row["start"]) :])
                covered = max(covered, row["stop"])
                labels.add(row["label"])
                i += 1
            # A plain file's chunks are labelled by their lines; the whole file needs no label.
            label = labels.pop() if len(labels) == 1 else ""
            pages.append(Page(rows[i - 1]["page"], "".join(parts), label))
        return DocumentText(attachment.name, tuple(pages), attachment.id)

    def documents(self, conversation_id: int) -> ConversationDocuments:
        """The conversation's attachments as ``app.documents.build_turn`` reads them."""
        self._require_conversation(conversation_id)
        return ConversationDocuments(self, conversation_id)

    def search_chunks(self, conversation_id: int, question: str, limit: int = 8) -> list[Passage]:
        """The ``limit`` chunks of the conversation's attachments that best match ``question``.

        FTS5 trigram with bm25 for terms of 3+ characters; in Python (the same BM25 over the
        conversation's chunks) where this SQLite lacks the trigram tokenizer, or when the
        question only has shorter terms (two-character Chinese words).
        """
        terms = query_terms(question)
        match = fts_query(terms)
        if not terms:
            return []
        if self._doc_fts and match is not None:
            rows = self._conn.execute(
                f"""SELECT {_PASSAGE_COLUMNS}, -bm25(doc_chunks_fts) AS score
                    FROM doc_chunks_fts JOIN doc_chunks c ON c.id = doc_chunks_fts.rowid
                    JOIN attachments a ON a.id = c.attachment_id
                    WHERE doc_chunks_fts MATCH ? AND a.conversation_id = ? AND a.deleted IS NULL
                    ORDER BY bm25(doc_chunks_fts), c.id LIMIT ?""",
                (match, conversation_id, limit),
            )
            return [_passage(r, r["score"]) for r in rows]
        every = self._conn.execute(
            f"""SELECT {_PASSAGE_COLUMNS} FROM doc_chunks c JOIN attachments a ON a.id = c.attachment_id
                WHERE a.conversation_id = ? AND a.deleted IS NULL ORDER BY c.id""",
            (conversation_id,),
        ).fetchall()
        ranked = rank_texts(terms, [r["text"] for r in every])
        return [_passage(every[i], score) for i, score in ranked[:limit]]

    def leading_chunks(self, conversation_id: int, limit: int = 8) -> list[Passage]:
        """The first chunks of each attachment, taken in turns (for questions nothing matches)."""
        rows = self._conn.execute(
            f"""SELECT * FROM (
                    SELECT {_PASSAGE_COLUMNS}, ROW_NUMBER() OVER (
                        PARTITION BY c.attachment_id ORDER BY c.section, c.start) AS n
                    FROM doc_chunks c JOIN attachments a ON a.id = c.attachment_id
                    WHERE a.conversation_id = ? AND a.deleted IS NULL)
                ORDER BY n, attachment_id LIMIT ?""",
            (conversation_id, limit),
        )
        return [_passage(r, None) for r in rows]

    def set_message_sources(self, message_id: int, sources: Sequence[Source]) -> None:
        """Keep the sources an answer was given (best first), to show them after a restart."""
        with transaction(self._conn):
            self._conn.execute("DELETE FROM message_sources WHERE message_id = ?", (message_id,))
            self._conn.executemany(
                """INSERT INTO message_sources (message_id, position, ref, attachment_id, chunk_id, file,
                    page, label, start, stop, score, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (_source_row(message_id, i, s) for i, s in enumerate(sources)),
            )

    def message_sources(self, message_id: int) -> list[Source]:
        rows = self._conn.execute(
            "SELECT * FROM message_sources WHERE message_id = ? ORDER BY position", (message_id,)
        )
        return [
            Source(
                ref=r["ref"],
                file=r["file"],
                page=r["page"],
                label=r["label"],
                chars=(r["start"], r["stop"]),
                score=r["score"],
                text=r["text"],
                attachment_id=r["attachment_id"],
                chunk_id=r["chunk_id"],
            )
            for r in rows
        ]


class ConversationDocuments:
    """One conversation's attachments as a :class:`app.documents.DocumentLibrary`."""

    def __init__(self, store: AttachmentsMixin, conversation_id: int) -> None:
        self._store = store
        self.conversation_id = conversation_id

    def documents(self) -> list[DocumentText]:
        return [self._store.attachment_text(a.id) for a in self._store.attachments(self.conversation_id)]

    def search(self, question: str, limit: int) -> list[Passage]:
        return self._store.search_chunks(self.conversation_id, question, limit)

    def leading(self, limit: int) -> list[Passage]:
        return self._store.leading_chunks(self.conversation_id, limit)


# ------------------------------------------------------------------------ helpers


def _attachment(row: sqlite3.Row) -> Attachment:
    d = dict(zip(row.keys(), row))
    d["warnings"] = tuple(json.loads(d["warnings"]))
    return Attachment(**d)


def _passage(row: sqlite3.Row, score: float | None) -> Passage:
    return Passage(
        file=row["name"],
        page=row["page"],
        label=row["label"],
        start=row["start"],
        end=row["stop"],
        text=row["text"],
        score=score,
        attachment_id=row["attachment_id"],
        chunk_id=row["id"],
    )


def _source_row(message_id: int, position: int, s: Source) -> tuple[object, ...]:
    start, stop = s.chars
    return (message_id, position, s.ref, s.attachment_id, s.chunk_id, s.file, s.page, s.label, start, stop,
            s.score, s.text)  # fmt: skip
