"""Telling reasoning from answer in streamed deltas (app.remote.reasoning)."""

from __future__ import annotations

from app.remote.reasoning import DeltaRouter, reasoning_text


def run(router: DeltaRouter, pieces: list[tuple[str, str]]) -> tuple[str, str, list[int]]:
    """Feed ("r", text) field reasoning and ("c", text) content; returns (reasoning, answer, when-emitted)."""
    reasoning, answer, emitted = [], [], []
    for i, (kind, text) in enumerate(pieces):
        segments = router.reasoning(text) if kind == "r" else router.content(text)
        if segments:
            emitted.append(i)
        for channel, seg in segments:
            (reasoning if channel == "reasoning" else answer).append(seg)
    for channel, seg in router.finish():
        (reasoning if channel == "reasoning" else answer).append(seg)
    return "".join(reasoning), "".join(answer), emitted


def test_reasoning_field_either_name_once() -> None:
    assert reasoning_text({"reasoning_content": "a", "reasoning": "a"}) == "a"
    assert reasoning_text({"reasoning": "b"}) == "b"
    assert reasoning_text({"reasoning_content": None, "reasoning": "c"}) == "c"
    assert reasoning_text({"content": "x"}) == ""


def test_field_reasoning_is_trimmed_and_streams_at_once() -> None:
    router = DeltaRouter(enable_thinking=True)
    r, a, emitted = run(
        router, [("r", "\n"), ("r", "Think"), ("r", " more\n\n"), ("c", "\n\n"), ("c", "Answer.")]
    )
    assert (r, a) == ("Think more", "Answer.")
    assert emitted == [1, 2, 4]  # nothing waited beyond whitespace
    assert router.thought and router.field_reasoning and not router.held_to_end


def test_tags_decided_at_the_first_piece() -> None:
    router = DeltaRouter(enable_thinking=True)
    r, a, emitted = run(router, [("c", "<think>"), ("c", "Hmm."), ("c", "</think>"), ("c", "\n\nYes.")])
    assert (r, a) == ("Hmm.", "Yes.")
    assert emitted == [1, 3]
    assert router.reasoning_pieces == 1


def test_tag_split_over_pieces() -> None:
    router = DeltaRouter(enable_thinking=True)
    r, a, _ = run(router, [("c", "<thi"), ("c", "nk>Hm"), ("c", "m.</th"), ("c", "ink>Yes.")])
    assert (r, a) == ("Hmm.", "Yes.")


def test_prompt_opened_thought_is_held_until_the_close_tag() -> None:
    router = DeltaRouter(enable_thinking=True)
    r, a, emitted = run(router, [("c", "Let me"), ("c", " see."), ("c", "</think>"), ("c", "\n\n42")])
    assert (r, a) == ("Let me see.", "42")
    assert emitted == [2, 3]  # held while ambiguous, released at </think>
    assert router.reasoning_pieces == 2 and router.thought and not router.held_to_end


def test_ambiguous_text_at_the_end_is_the_answer() -> None:
    router = DeltaRouter(enable_thinking=True)
    r, a, emitted = run(router, [("c", "Just"), ("c", " an answer.")])
    assert (r, a) == ("", "Just an answer.")
    assert emitted == [] and router.held_to_end and not router.thought


def test_thinking_off_streams_content_without_holding() -> None:
    router = DeltaRouter(enable_thinking=False)
    r, a, emitted = run(router, [("c", "Just"), ("c", " an answer.")])
    assert (r, a, emitted) == ("", "Just an answer.", [0, 1])
    router = DeltaRouter(enable_thinking=False)  # a model that thinks anyway is still split
    r, a, _ = run(router, [("c", "<think>x</think>"), ("c", "y")])
    assert (r, a) == ("x", "y") and router.thought


def test_a_reasoning_field_ends_the_ambiguity() -> None:
    router = DeltaRouter(enable_thinking=True)
    r, a, _ = run(router, [("c", "Odd first."), ("r", "Then a thought.")])
    assert (r, a) == ("Then a thought.", "Odd first.")


def test_unclosed_thought() -> None:
    router = DeltaRouter(enable_thinking=True)
    run(router, [("c", "<think>"), ("c", "forever")])
    assert router.reasoning_unclosed("length") and router.reasoning_unclosed("stop")
    router = DeltaRouter(enable_thinking=True)
    run(router, [("r", "forever")])
    assert router.reasoning_unclosed("length") and not router.reasoning_unclosed("stop")
    router = DeltaRouter(enable_thinking=True)
    run(router, [("r", "done"), ("c", "answer")])
    assert not router.reasoning_unclosed("length")
