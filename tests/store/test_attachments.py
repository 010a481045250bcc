"""Attachments in the chat store: chips that survive a restart, chunks indexed once, removal."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.documents import ContextBudget, build_turn, extract, prepare_attachment
from app.documents.prepare import PreparedAttachment
from app.store import ChatStore, schema
from tests.documents.make_docs import FACT_EN, QUESTION_EN, write_docx, write_fact_pdf


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> PreparedAttachment:
    return prepare_attachment(write_fact_pdf(tmp_path_factory.mktemp("att") / "report.pdf"))


@pytest.fixture(scope="module")
def annual(tmp_path_factory: pytest.TempPathFactory) -> PreparedAttachment:
    return prepare_attachment(write_docx(tmp_path_factory.mktemp("att") / "annual.docx"))


def index_in_sync(store: ChatStore) -> None:
    """FTS5's own comparison of the chunk index with its table; raises if they differ."""
    store._conn.execute("INSERT INTO doc_chunks_fts (doc_chunks_fts, rank) VALUES ('integrity-check', 1)")


def chunk_count(store: ChatStore) -> int:
    return int(store._conn.execute("SELECT COUNT(*) FROM doc_chunks").fetchone()[0])


def test_an_attachment_and_its_chunks_are_stored_together(
    store: ChatStore, report: PreparedAttachment
) -> None:
    c = store.create_conversation()
    a = store.add_attachment(c.id, report)
    assert (a.conversation_id, a.message_id, a.name, a.kind, a.pages) == (c.id, None, "report.pdf", "pdf", 60)
    assert (a.size, a.sha256, a.chars) == (
        report.document.size,
        report.document.sha256,
        report.document.chars,
    )
    assert a.deleted is None and a.warnings == ()
    assert chunk_count(store) == len(report.chunks)
    index_in_sync(store)
    assert store.attachments(c.id) == [a] == store.pending_attachments(c.id)
    assert store.get_attachment(a.id) == a
    assert store.find_attachment(c.id, report.document.sha256) == a
    assert store.find_attachment(c.id, "0" * 64) is None


def test_the_pages_are_rebuilt_exactly_from_the_chunks(
    store: ChatStore, report: PreparedAttachment, annual: PreparedAttachment
) -> None:
    c = store.create_conversation()
    for prepared in (report, annual):
        a = store.add_attachment(c.id, prepared)
        text = store.attachment_text(a.id)
        assert text.name == prepared.document.name and text.attachment_id == a.id
        assert text.pages == prepared.document.pages


def test_pending_attachments_go_out_with_the_next_message(
    store: ChatStore, report: PreparedAttachment, annual: PreparedAttachment
) -> None:
    c = store.create_conversation()
    first = store.add_attachment(c.id, report)
    question = store.add_message(c.id, "user", "What is in the report?")
    assert store.attach_pending(c.id, question.id) == 1
    assert [a.id for a in store.message_attachments(question.id)] == [first.id]
    assert store.pending_attachments(c.id) == []
    second = store.add_attachment(c.id, annual)  # dropped after the first question
    assert [a.id for a in store.pending_attachments(c.id)] == [second.id]
    assert [a.id for a in store.attachments(c.id)] == [first.id, second.id]
    direct = store.add_attachment(c.id, annual, message_id=question.id)
    assert [a.id for a in store.message_attachments(question.id)] == [first.id, direct.id]
    other = store.create_conversation()
    with pytest.raises(KeyError):
        store.attach_pending(other.id, question.id)
    with pytest.raises(KeyError):
        store.add_attachment(other.id, annual, message_id=question.id)
    with pytest.raises(KeyError):
        store.add_attachment(999, annual)


def test_editing_a_message_away_makes_its_attachments_pending_again(
    store: ChatStore, report: PreparedAttachment
) -> None:
    c = store.create_conversation()
    question = store.add_message(c.id, "user", "q")
    a = store.add_attachment(c.id, report, message_id=question.id)
    answer = store.add_message(c.id, "assistant", "a")
    turn = build_turn(QUESTION_EN, store.documents(c.id), ContextBudget(n_ctx=16_384))
    store.set_message_sources(answer.id, turn.sources)
    store.delete_messages_from(c.id, 0)
    assert store.get_attachment(a.id).message_id is None
    assert store.message_sources(answer.id) == []


def test_removing_an_attachment_hides_it_and_purging_drops_its_chunks(
    store: ChatStore, report: PreparedAttachment, annual: PreparedAttachment
) -> None:
    c = store.create_conversation()
    pdf = store.add_attachment(c.id, report)
    docx = store.add_attachment(c.id, annual)
    assert store.search_chunks(c.id, QUESTION_EN)
    store.remove_attachment(pdf.id)
    assert [a.id for a in store.attachments(c.id)] == [docx.id]
    assert [a.id for a in store.attachments(c.id, include_deleted=True)] == [pdf.id, docx.id]
    assert store.search_chunks(c.id, QUESTION_EN) == []
    assert [d.name for d in store.documents(c.id).documents()] == ["annual.docx"]
    store.restore_attachment(pdf.id)
    assert store.search_chunks(c.id, QUESTION_EN)[0].page == 37
    store.remove_attachment(pdf.id)
    store.purge_deleted()
    with pytest.raises(KeyError):
        store.get_attachment(pdf.id)
    assert chunk_count(store) == len(annual.chunks)
    index_in_sync(store)
    with pytest.raises(KeyError):
        store.remove_attachment(pdf.id)


def test_attachments_of_a_deleted_conversation_go_with_it(
    store: ChatStore, report: PreparedAttachment
) -> None:
    keep = store.create_conversation("keep")
    store.add_attachment(keep.id, report)
    gone = store.create_conversation("gone")
    a = store.add_attachment(gone.id, report)
    answer = store.add_message(gone.id, "assistant", "x")
    turn = build_turn(QUESTION_EN, store.documents(gone.id), ContextBudget(n_ctx=16_384))
    store.set_message_sources(answer.id, turn.sources)
    store.delete(gone.id)
    assert store.get_attachment(a.id).deleted is None  # soft delete: undo brings everything back
    store.purge_deleted()
    with pytest.raises(KeyError):
        store.get_attachment(a.id)
    assert chunk_count(store) == len(report.chunks)  # only the kept conversation's
    assert store._conn.execute("SELECT COUNT(*) FROM message_sources").fetchone()[0] == 0
    index_in_sync(store)
    assert store.search_chunks(keep.id, QUESTION_EN)[0].page == 37


def test_after_a_restart_everything_is_there_and_nothing_is_extracted_again(
    tmp_path: Path, report: PreparedAttachment, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "chats.sqlite3"
    with ChatStore(path) as store:
        c = store.create_conversation()
        question = store.add_message(c.id, "user", QUESTION_EN)
        a = store.add_attachment(c.id, report, message_id=question.id)
        turn = build_turn(QUESTION_EN, store.documents(c.id), ContextBudget(n_ctx=16_384))
        answer = store.add_message(c.id, "assistant", "AZURE-7741 [1]")
        store.set_message_sources(answer.id, turn.sources)

    import app.documents.extraction as extract_module
    import app.documents.prepare as prepare_module

    def no_extraction(*args: object, **kwargs: object) -> None:
        raise AssertionError("a follow-up must not extract again")

    monkeypatch.setattr(extract_module, "pdf_pages", no_extraction)
    monkeypatch.setattr(prepare_module, "extract", no_extraction)
    with ChatStore(path) as store:
        assert store.message_attachments(question.id) == [a]
        assert store.message_sources(answer.id) == list(turn.sources)
        follow_up = build_turn(
            "And where is the launch code kept?", store.documents(c.id), ContextBudget(16_384)
        )
        assert follow_up.mode == "retrieval" and follow_up.sources[0].page == 37
        assert FACT_EN in follow_up.prompt


def test_message_sources_keep_their_order_and_passages(store: ChatStore, report: PreparedAttachment) -> None:
    c = store.create_conversation()
    store.add_attachment(c.id, report)
    answer = store.add_message(c.id, "assistant", "x")
    turn = build_turn(QUESTION_EN, store.documents(c.id), ContextBudget(n_ctx=16_384))
    assert turn.sources
    store.set_message_sources(answer.id, turn.sources)
    assert store.message_sources(answer.id) == list(turn.sources)
    store.set_message_sources(answer.id, turn.sources[:1])  # replaced, not appended
    assert store.message_sources(answer.id) == list(turn.sources[:1])


def test_a_version_2_file_gains_the_document_tables(tmp_path: Path, report: PreparedAttachment) -> None:
    path = tmp_path / "v2.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        schema.migrate(conn, target=2)
    finally:
        conn.close()
    with ChatStore(path) as store:
        c = store.create_conversation()
        store.add_attachment(c.id, report)
        assert store.search_chunks(c.id, QUESTION_EN)[0].page == 37


def test_without_trigram_support_the_chunk_index_comes_later(
    tmp_path: Path, report: PreparedAttachment, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old-sqlite.sqlite3"
    with monkeypatch.context() as m:
        m.setattr(schema, "trigram_available", lambda: False)
        with ChatStore(path) as store:
            assert not schema.has_document_index(store._conn)
            c = store.create_conversation()
            store.add_attachment(c.id, report)
            assert store.search_chunks(c.id, QUESTION_EN)[0].page == 37  # ranked in Python
    with ChatStore(path) as store:  # a newer SQLite opens the file: the index is built from the chunks
        assert schema.has_document_index(store._conn)
        index_in_sync(store)
        assert store.search_chunks(c.id, QUESTION_EN)[0].page == 37


def test_extracted_text_is_what_the_store_searches(store: ChatStore, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("量子计算机的原理\n" + "filler line\n" * 400 + "the lighthouse keeper's log\n", "utf-8")
    c = store.create_conversation()
    store.add_attachment(c.id, prepare_attachment(path))
    (hit,) = store.search_chunks(c.id, "lighthouse keeper", 1)
    assert hit.page is None and hit.label.endswith("–402")
    doc = extract(path)
    assert doc.pages[0].text[hit.start : hit.end] == hit.text
