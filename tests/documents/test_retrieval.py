"""Keyword retrieval: the page that holds the answer comes first, in English and in Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.documents import fts_query, prepare_attachment, query_terms, rank_texts
from app.store import ChatStore, schema
from tests.documents.make_docs import QUESTION_EN, QUESTION_ZH


def test_english_terms_drop_stop_words_and_suffixes() -> None:
    assert query_terms("What is the launch code for Project Nightingale?") == [
        "launch",
        "code",
        "project",
        "nightingale",
    ]
    assert query_terms("Which ships launched from the company's harbours?") == [
        "ship",
        "launch",
        "company",
        "harbour",
    ]
    assert query_terms("an AI? Q2 ok") == []  # nothing of 3+ characters that is not a stop word


def test_chinese_runs_become_overlapping_trigrams() -> None:
    assert query_terms("夜莺计划的密码？") == ["夜莺计", "莺计划", "计划的", "划的密", "的密码"]
    assert query_terms("量子，是") == ["量子"]  # a two-character word stays whole (LIKE-style ranking)
    assert query_terms("Qwen3 模型的上下文") == ["模型的", "型的上", "的上下", "上下文", "qwen3"]


def test_fts_query_quotes_every_term() -> None:
    assert fts_query(['say "hi"', "abc", "ab"]) == '"say ""hi""" OR "abc"'
    assert fts_query(["ab"]) is None


def test_rank_texts_prefers_rarer_terms_and_more_hits() -> None:
    texts = ["harbour and harbour", "harbour nightingale", "nothing here at all", "harbour and nothing"]
    ranked = rank_texts(["harbour", "nightingale"], texts)
    assert [i for i, _ in ranked] == [1, 0, 3]
    assert all(score > 0 for _, score in ranked)
    assert rank_texts([], texts) == [] and rank_texts(["x"], []) == []


@pytest.fixture(params=["fts5-trigram", "python-bm25"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ChatStore]:
    """A store with the FTS5 trigram index, and one as a SQLite without the trigram tokenizer sees it."""
    if request.param == "python-bm25":
        monkeypatch.setattr(schema, "trigram_available", lambda: False)
    s = ChatStore(tmp_path / "chats.sqlite3")
    assert s._doc_fts == (request.param == "fts5-trigram")
    yield s
    s.close()


@pytest.mark.parametrize(("pdf", "question"), [("english_pdf", QUESTION_EN), ("chinese_pdf", QUESTION_ZH)])
def test_the_page_with_the_answer_comes_first(
    store: ChatStore, request: pytest.FixtureRequest, pdf: str, question: str
) -> None:
    conversation = store.create_conversation()
    path: Path = request.getfixturevalue(pdf)
    store.add_attachment(conversation.id, prepare_attachment(path))
    hits = store.search_chunks(conversation.id, question, limit=5)
    assert hits and hits[0].page == 37, [(h.page, h.score) for h in hits]
    assert hits[0].file == path.name and hits[0].label == "p. 37"
    scores = [h.score for h in hits]
    assert None not in scores and scores == sorted(scores, reverse=True)  # type: ignore[type-var]


def test_both_languages_in_one_conversation(store: ChatStore, english_pdf: Path, chinese_pdf: Path) -> None:
    conversation = store.create_conversation()
    for path in (english_pdf, chinese_pdf):
        store.add_attachment(conversation.id, prepare_attachment(path))
    assert [(h.file, h.page) for h in store.search_chunks(conversation.id, QUESTION_EN, 1)] == [
        ("report.pdf", 37)
    ]
    assert [(h.file, h.page) for h in store.search_chunks(conversation.id, QUESTION_ZH, 1)] == [
        ("报告.pdf", 37)
    ]
    short = store.search_chunks(conversation.id, "夜莺", 1)  # two characters: no trigram can match
    assert [(h.file, h.page) for h in short] == [("报告.pdf", 37)]
    assert store.search_chunks(conversation.id, "zebra crossing", 5) == []
