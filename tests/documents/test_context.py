"""The turn's prompt: whole documents when they fit, a longer context offered, or retrieval."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from app.documents import ContextBudget, DocumentText, Page, Passage, build_turn, estimate_tokens
from app.documents.context import INSTRUCTION


@dataclass
class FakeLibrary:
    """Documents in memory; search returns the passages given, best first."""

    docs: list[DocumentText]
    hits: list[Passage] = field(default_factory=list)
    first: list[Passage] = field(default_factory=list)
    searched: list[str] = field(default_factory=list)

    def documents(self) -> Sequence[DocumentText]:
        return self.docs

    def search(self, question: str, limit: int) -> Sequence[Passage]:
        self.searched.append(question)
        return self.hits[:limit]

    def leading(self, limit: int) -> Sequence[Passage]:
        return self.first[:limit]


def small_library() -> FakeLibrary:
    return FakeLibrary(
        [
            DocumentText("notes.txt", (Page(None, "The harbour opened in 1887."),), attachment_id=1),
            DocumentText(
                "report.pdf",
                (Page(1, "Ships arrived daily.", "p. 1"), Page(2, "The pier was rebuilt in 1921.", "p. 2")),
                attachment_id=2,
            ),
        ]
    )


def passage(page: int, text: str, score: float | None, start: int = 0) -> Passage:
    return Passage("big.pdf", page, f"p. {page}", start, start + len(text), text, score, 3, 100 + page)


def big_library(pages: int = 400) -> FakeLibrary:
    text = "filler words about nothing in particular. " * 40  # ~480 tokens a page
    docs = [DocumentText("big.pdf", tuple(Page(n, text, f"p. {n}") for n in range(1, pages + 1)), 3)]
    hits = [passage(37, "The code is AZURE-7741.", 9.5), passage(12, "Codes are kept safe.", 4.0, 200)]
    return FakeLibrary(docs, hits, first=[passage(1, "Chapter one begins.", None)])


def test_no_attachments_sends_the_question_alone() -> None:
    turn = build_turn("hi", FakeLibrary([]), ContextBudget(n_ctx=4096))
    assert (turn.mode, turn.prompt, turn.sources) == ("none", "hi", ())


def test_documents_that_fit_go_in_whole_labelled_and_numbered() -> None:
    turn = build_turn("When was the pier rebuilt?", small_library(), ContextBudget(n_ctx=8192))
    assert turn.mode == "whole" and turn.longer_context_tokens is None
    assert "[1] notes.txt\nThe harbour opened in 1887." in turn.prompt
    assert "[2] report.pdf, p. 1\nShips arrived daily." in turn.prompt
    assert "[3] report.pdf, p. 2\nThe pier was rebuilt in 1921." in turn.prompt
    assert INSTRUCTION in turn.prompt and "[1] or [2][3]" in turn.prompt
    assert turn.prompt.endswith("Question: When was the pier rebuilt?")
    # Every page is a source; the one that matches the question first.
    assert [s.ref for s in turn.sources] == [3, 1, 2]
    best = turn.sources[0]
    assert (best.file, best.page, best.label, best.chars) == ("report.pdf", 2, "p. 2", (0, 29))
    assert best.score is not None and turn.sources[1].score is None
    assert best.to_json() == {
        "ref": 3,
        "file": "report.pdf",
        "page": 2,
        "label": "p. 2",
        "chars": [0, 29],
        "score": round(best.score, 4),
    }
    assert turn.prompt_tokens == turn.whole_tokens == estimate_tokens(turn.prompt)


def test_the_budget_leaves_room_for_history_and_the_answer() -> None:
    lib = small_library()
    whole = build_turn("q", lib, ContextBudget(n_ctx=100_000)).whole_tokens
    fits = ContextBudget(n_ctx=whole + 4096 + 500, history_tokens=500, reserve_tokens=4096)
    assert build_turn("q", lib, fits).mode == "whole"
    one_short = ContextBudget(n_ctx=whole + 4096 + 500, history_tokens=501, reserve_tokens=4096)
    assert build_turn("q", lib, one_short).mode == "retrieval"


def test_too_long_for_the_loaded_context_but_not_for_the_model_offers_a_longer_one() -> None:
    lib = big_library(pages=60)  # ~29K tokens
    turn = build_turn(
        "What is the code?", lib, ContextBudget(n_ctx=16_384, max_ctx=131_072, history_tokens=300)
    )
    assert turn.mode == "retrieval"
    assert turn.longer_context_tokens == 300 + turn.whole_tokens
    assert 25_000 < turn.whole_tokens < 35_000
    # Meanwhile: the best passages, best first, numbered in that order.
    assert [(s.ref, s.page, s.score) for s in turn.sources] == [(1, 37, 9.5), (2, 12, 4.0)]
    assert "[1] big.pdf, p. 37\nThe code is AZURE-7741." in turn.prompt
    assert turn.prompt.index("[1] big.pdf") < turn.prompt.index("[2] big.pdf")
    assert turn.sources[1].chars == (200, 220) and turn.sources[0].chunk_id == 137


def test_beyond_what_the_model_supports_is_retrieval_without_an_offer() -> None:
    lib = big_library(pages=400)  # ~190K tokens
    turn = build_turn("What is the code?", lib, ContextBudget(n_ctx=16_384, max_ctx=131_072))
    assert (turn.mode, turn.longer_context_tokens) == ("retrieval", None)
    no_yarn = build_turn("What is the code?", big_library(60), ContextBudget(n_ctx=16_384, max_ctx=32_768))
    assert no_yarn.longer_context_tokens is None  # a 32K model: no longer context to offer


def test_retrieval_takes_only_what_fits() -> None:
    lib = big_library(60)
    lib.hits = [passage(n, "word " * 300, 10.0 - n) for n in range(1, 9)]  # ~430 tokens each
    roomy = build_turn("code", lib, ContextBudget(n_ctx=16_384))
    assert len(roomy.sources) == 8
    tight = build_turn("code", lib, ContextBudget(n_ctx=4096 + 1200))
    assert len(tight.sources) == 2 and tight.prompt_tokens <= 1200
    assert [s.page for s in tight.sources] == [1, 2]


def test_a_question_nothing_matches_gets_the_beginning() -> None:
    lib = big_library(60)
    lib.hits = []
    turn = build_turn("Summarize this.", lib, ContextBudget(n_ctx=16_384))
    assert [(s.page, s.score) for s in turn.sources] == [(1, None)]
    assert "Chapter one begins." in turn.prompt


def test_the_real_tokenizer_is_asked_only_near_the_limit() -> None:
    calls: list[int] = []

    def count(text: str) -> int:
        calls.append(len(text))
        return len(text) // 4

    build_turn("q", big_library(400), ContextBudget(n_ctx=16_384), count_tokens=count)
    assert max(calls) < 10_000  # never the 760 KB whole-document prompt
    calls.clear()
    turn = build_turn("q", small_library(), ContextBudget(n_ctx=8192), count_tokens=count)
    assert turn.mode == "whole" and turn.prompt_tokens == len(turn.prompt) // 4


def test_a_follow_up_after_a_whole_turn_does_not_send_the_documents_again() -> None:
    turn = build_turn("And the pier?", small_library(), ContextBudget(n_ctx=8192), documents_in_history=True)
    assert turn.mode == "whole"
    assert turn.prompt.startswith("And the pier?") and "1887" not in turn.prompt
    assert turn.sources[0].page == 2  # ranked for the new question


@pytest.mark.parametrize("question", ["夜莺计划的密码是什么？", "What is the code?"])
def test_the_question_comes_last(question: str) -> None:
    turn = build_turn(question, big_library(60), ContextBudget(n_ctx=16_384))
    assert turn.prompt.endswith(f"Question: {question}")


def test_whole_documents_slower_to_read_than_the_limit_go_by_retrieval_with_the_estimate() -> None:
    lib = big_library(pages=20)  # ~9.6K tokens: they fit a 32K context
    asked: list[tuple[int, int]] = []

    def reading(tokens: int, start: int) -> float:
        asked.append((tokens, start))
        return tokens / 40  # a laptop CPU reading an 8B model at 40 tokens/s

    budget = ContextBudget(
        n_ctx=32_768, max_ctx=131_072, history_tokens=700, reading=reading, read_limit_s=60
    )
    turn = build_turn("What is the code?", lib, budget)
    assert turn.mode == "retrieval" and turn.longer_context_tokens is None  # it fits: nothing to reload
    assert turn.whole_reading_s == pytest.approx(turn.whole_tokens / 40)
    assert asked == [(turn.whole_tokens, 700)]  # read after the history, which is already read
    assert turn.sources and turn.sources[0].page == 37  # the best passages meanwhile
    # The user asked for the whole document: it goes whole, however long it takes.
    whole = build_turn("What is the code?", lib, budget, read_whole=True)
    assert whole.mode == "whole" and whole.whole_reading_s is None
    # A fast machine (or a generous limit) reads it whole without asking.
    fast = build_turn("What is the code?", lib, ContextBudget(n_ctx=32_768, reading=lambda n, s: n / 2000,
                                                              read_limit_s=60))  # fmt: skip
    assert fast.mode == "whole" and fast.whole_reading_s is None
    # No speed known yet (or a server): whole, as before.
    unknown = build_turn("What is the code?", lib, ContextBudget(n_ctx=32_768, reading=lambda n, s: None,
                                                                 read_limit_s=60))  # fmt: skip
    assert unknown.mode == "whole"


def test_a_short_document_slow_to_read_goes_whole_when_its_passages_would_be_nearly_all_of_it() -> None:
    lib = small_library()  # three short pages: the passages are the whole text again
    lib.hits = [passage(1, "Ships arrived daily.", 3.0), passage(2, "The pier was rebuilt in 1921.", 2.0)]
    turn = build_turn("q", lib, ContextBudget(n_ctx=8192, reading=lambda n, s: 1e6, read_limit_s=60))
    assert turn.mode == "whole" and turn.whole_reading_s is None
