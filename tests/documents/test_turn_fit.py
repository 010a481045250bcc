"""The answer's room scales with the context; exact counts in one call; a too-long prompt sheds passages."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from app.documents import ContextBudget, DocumentError, ModelTokens, answer_room, build_turn, fit_turn
from tests.documents.test_context import big_library, passage


def test_the_answer_room_scales_with_the_context() -> None:
    assert answer_room(4096) == 1024  # was a fixed 4,096: the whole of a 4K context
    assert answer_room(2048) == 512
    assert answer_room(1024) == 512  # at least 512 …
    assert answer_room(512) == 256  # … but never more than half the context
    assert answer_room(8192) == 2048
    assert answer_room(16_384) == answer_room(131_072) == 4096  # at most 4,096
    assert answer_room(16_384, thinking_budget=2000) == 6096  # plus the thinking budget
    assert answer_room(4096, thinking_budget=8000) == 2048  # still half at most
    assert answer_room(16_384, max_tokens=300) == 300  # what the turn may generate, when set


def bytes_counter(calls: list[int]) -> ModelTokens:
    def many(texts: Sequence[str]) -> list[int]:
        calls.append(len(texts))
        return [len(t.encode()) for t in texts]  # a tokenizer spending a token per byte

    return ModelTokens(many)


def test_passages_are_counted_in_one_call() -> None:
    lib = big_library(60)
    lib.hits = [passage(n, "word " * 100, 10.0 - n) for n in range(1, 9)]
    calls: list[int] = []
    turn = build_turn(
        "code", lib, ContextBudget(n_ctx=16_384, reserve_tokens=4096), count_tokens=bytes_counter(calls)
    )
    assert turn.mode == "retrieval" and len(turn.sources) == 8
    assert 9 in calls and len(calls) <= 2  # the frame and the 8 blocks at once (plus the whole text)


def test_no_room_for_any_passage_is_an_error_not_a_blind_answer() -> None:
    lib = big_library(60)
    lib.hits = [passage(n, "word " * 300, 10.0 - n) for n in range(1, 4)]  # ~430 tokens each
    with pytest.raises(DocumentError) as caught:
        build_turn("code", lib, ContextBudget(n_ctx=4096, history_tokens=3000, reserve_tokens=1024))
    err = caught.value
    assert err.kind == "no_room" and "4,096" in err.message and "longer context" in err.message
    assert err.to_json()["kind"] == "no_room"
    # With the room scaled to the context instead of a fixed 4,096, passages fit a 4K context.
    turn = build_turn("code", lib, ContextBudget(n_ctx=4096, reserve_tokens=answer_room(4096)))
    assert turn.mode == "retrieval" and len(turn.sources) >= 2


def test_a_prompt_that_comes_out_too_long_drops_its_lowest_ranked_passages() -> None:
    lib = big_library(60)
    lib.hits = [passage(n, "word " * 100, 10.0 - n) for n in range(1, 9)]  # ~145 estimated tokens each
    budget = ContextBudget(n_ctx=4096, reserve_tokens=1024)
    planned = build_turn("code", lib, budget)
    assert len(planned.sources) == 8
    measured: list[int] = []

    def as_sent(message: str) -> int:  # a tokenizer far hungrier than the estimate, and a long template
        n = len(message) * 3 // 4 + 500
        measured.append(n)
        return n

    turn = fit_turn("code", lib, budget, prompt_tokens=as_sent)
    assert 0 < len(turn.sources) < 8
    assert [s.page for s in turn.sources] == list(range(1, len(turn.sources) + 1))  # the best kept
    assert measured[-1] + 1024 <= 4096 and len(measured) <= 4
    # Whole documents that turn out too long become passages.
    small = big_library(4)
    small.hits = [passage(2, "word " * 50, 5.0)]
    whole = build_turn("code", small, ContextBudget(n_ctx=8192))
    assert whole.mode == "whole"
    shorter = fit_turn(
        "code", small, ContextBudget(n_ctx=8192), prompt_tokens=lambda m: len(m) if "[4]" in m else 100
    )
    assert shorter.mode == "retrieval" and [s.page for s in shorter.sources] == [2]
