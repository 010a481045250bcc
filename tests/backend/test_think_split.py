"""The streaming reasoning/answer split, whatever the chunking."""

from __future__ import annotations

import random

import pytest

from app.backend.think_split import ANSWER, REASONING, ThinkSplitter


def split(chunks: list[str], in_reasoning: bool = False) -> tuple[str, str, ThinkSplitter]:
    s = ThinkSplitter(in_reasoning=in_reasoning)
    segs = [seg for c in chunks for seg in s.feed(c)] + s.flush()
    reasoning = "".join(t for ch, t in segs if ch == REASONING)
    answer = "".join(t for ch, t in segs if ch == ANSWER)
    return reasoning, answer, s


FULL = "<think>\nLet me think: 2 < 3.\n</think>\n\nThe answer is <b>2</b>."


def test_whole_text() -> None:
    reasoning, answer, s = split([FULL])
    assert reasoning == "Let me think: 2 < 3."
    assert answer == "The answer is <b>2</b>."
    assert s.thought and s.closed and not s.in_reasoning


@pytest.mark.parametrize("seed", range(40))
def test_any_chunking_gives_the_same_split(seed: int) -> None:
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(FULL)), rng.randint(1, 25)))
    chunks = [FULL[a:b] for a, b in zip([0, *cuts], [*cuts, len(FULL)])]
    assert split(chunks)[:2] == ("Let me think: 2 < 3.", "The answer is <b>2</b>.")


def test_character_by_character() -> None:
    assert split(list(FULL))[:2] == ("Let me think: 2 < 3.", "The answer is <b>2</b>.")


def test_tags_arriving_alone() -> None:
    chunks = ["<think>", "\n", "hmm", "\n", "</think>", "\n\n", "yes"]
    assert split(chunks)[:2] == ("hmm", "yes")


def test_no_think_block_is_all_answer() -> None:
    reasoning, answer, s = split(["Just ", "an answer."])
    assert (reasoning, answer) == ("", "Just an answer.")
    assert not s.thought


def test_empty_think_block_means_the_model_did_not_think() -> None:
    reasoning, answer, s = split(["<think>\n\n</think>\n\n", "Direct."])
    assert (reasoning, answer) == ("", "Direct.")
    assert not s.thought  # what /no_think under the hard switch looks like


def test_unclosed_think_stays_reasoning() -> None:
    reasoning, answer, s = split(["<think>\nstill going", " and going"])
    assert (reasoning, answer) == ("still going and going", "")
    assert s.in_reasoning and not s.closed


def test_prompt_that_already_opened_think() -> None:
    assert split(["thinking\n</think>\n\nanswer"], in_reasoning=True)[:2] == ("thinking", "answer")


def test_think_tag_later_in_the_answer_is_text() -> None:
    reasoning, answer, _ = split(["Use <think> tags", " like <think>this</think>."])
    assert reasoning == ""
    assert answer == "Use <think> tags like <think>this</think>."


def test_partial_tag_that_is_not_a_tag_is_released() -> None:
    assert split(["<thi", "s is html>"])[:2] == ("", "<this is html>")
    assert split(["<think>a </thin", "g>", "</think>b"])[:2] == ("a </thing>", "b")


def test_unfinished_tag_at_end_of_stream_is_text() -> None:
    assert split(["<think>x</thi"])[0] == "x</thi"
