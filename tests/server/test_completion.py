"""``run_completion`` with a stand-in engine: a stop string cancels the generation and keeps its counts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from app.backend.engine import Engine
from app.backend.protocol import (
    Answer,
    ChatMessage,
    Done,
    GenerationRequest,
    Notice,
    Reasoning,
    StreamEvent,
    ToolCall,
    ToolCallRequest,
)
from app.server.chat_request import ChatCall
from app.server.completion import CONTENT, REASONING, CallDelta, Delta, Finish, run_completion


def done(reason: str, tokens: int) -> Done:
    return Done(reason, 10, 10, tokens, 2, None, None)


class EndlessAnswer:
    """Answers "ab" forever until cancelled, like a model that never stops."""

    def __init__(self) -> None:
        self.cancelled = False
        self.closed = False

    def generate(self, request: GenerationRequest) -> Iterator[StreamEvent]:
        try:
            yield Notice("restarted", code="engine_restarted")
            yield Reasoning("think")
            n = 0
            while not self.cancelled:
                n += 1
                yield Answer("a" if n % 2 else "b")
            yield done("cancelled", n)
        finally:
            self.closed = True

    def cancel(self) -> bool:
        self.cancelled = True
        return True


def call(**options: Any) -> ChatCall:
    return ChatCall(model="m", request=GenerationRequest((ChatMessage("user", "hi"),)), **options)


def test_a_stop_string_cancels_and_the_done_still_counts() -> None:
    engine = EndlessAnswer()
    items = list(run_completion(cast(Engine, engine), call(stop=("bab",)), engine.cancel))
    assert engine.cancelled and engine.closed
    assert items[0] == Delta(REASONING, "think")
    assert "".join(i.text for i in items if isinstance(i, Delta) and i.field == CONTENT) == "a"
    finish = items[-1]
    assert isinstance(finish, Finish) and finish.finish_reason == "stop"
    assert finish.done.completion_tokens >= 4  # the usage is the engine's own count


def test_closing_early_closes_the_engine_stream() -> None:
    engine = EndlessAnswer()
    items = run_completion(cast(Engine, engine), call(), engine.cancel)
    assert next(items) == Delta(REASONING, "think")
    assert next(items) == Delta(CONTENT, "a")
    items.close()
    assert engine.closed and not engine.cancelled


class Finished:
    def __init__(self, reason: str) -> None:
        self.reason = reason

    def generate(self, request: GenerationRequest) -> Iterator[StreamEvent]:
        yield Answer("Hel")
        yield Answer("lo")
        yield done(self.reason, 2)


def test_finish_reasons_map_to_openais() -> None:
    for engine_reason, api_reason in (("stop", "stop"), ("budget", "stop"), ("length", "length")):
        items = list(run_completion(cast(Engine, Finished(engine_reason)), call(stop=("lo!",)), lambda: None))
        assert "".join(i.text for i in items if isinstance(i, Delta)) == "Hello"  # the held "lo" is released
        assert isinstance(items[-1], Finish) and items[-1].finish_reason == api_reason


class Calls:
    """Answers a little text, then the given tool calls, then finishes as the engine does."""

    def __init__(self, *calls: ToolCallRequest, reason: str = "tool_calls") -> None:
        self.calls = calls
        self.reason = reason

    def generate(self, request: GenerationRequest) -> Iterator[StreamEvent]:
        yield Answer("Checking E")
        for c in self.calls:
            yield ToolCall(c)
        yield done(self.reason, 9)


def test_tool_calls_come_out_whole_in_order_and_finish_as_tool_calls() -> None:
    good = ToolCallRequest("call_1", "f", {"q": "café"})
    broken = ToolCallRequest("call_2", "g", {}, raw='{"q": ', error="not JSON")
    items = list(run_completion(cast(Engine, Calls(good, broken)), call(stop=("END",)), lambda: None))
    assert items[:2] == [Delta(CONTENT, "Checking "), Delta(CONTENT, "E")]  # "E" was held, then released
    first, second = items[2], items[3]
    assert isinstance(first, CallDelta) and isinstance(second, CallDelta)
    assert (first.index, second.index) == (0, 1)
    assert first.call["type"] == "function"
    assert first.call["function"] == {"name": "f", "arguments": '{"q": "café"}'}
    assert second.call["function"] == {"name": "g", "arguments": '{"q": '}  # raw: the engine's error
    ids = [first.call["id"], second.call["id"]]
    assert all(i.startswith("call_") and len(i) == 29 for i in ids) and len(set(ids)) == 2
    assert isinstance(items[4], Finish) and items[4].finish_reason == "tool_calls"


def test_a_stop_string_before_the_calls_drops_them() -> None:
    items = list(
        run_completion(cast(Engine, Calls(ToolCallRequest("c", "f", {}))), call(stop=("ing",)), lambda: None)
    )
    assert not any(isinstance(i, CallDelta) for i in items)
    assert isinstance(items[-1], Finish) and items[-1].finish_reason == "stop"


def test_calls_cut_by_the_length_limit_finish_as_length() -> None:
    items = list(
        run_completion(
            cast(Engine, Calls(ToolCallRequest("c", "f", {}), reason="length")), call(), lambda: None
        )
    )
    assert isinstance(items[-1], Finish) and items[-1].finish_reason == "length"


def test_parallel_tool_calls_false_returns_the_first_call_only() -> None:
    engine = Calls(ToolCallRequest("c1", "f", {"n": 1}), ToolCallRequest("c2", "f", {"n": 2}))
    items = list(run_completion(cast(Engine, engine), call(parallel_tool_calls=False), lambda: None))
    deltas = [i for i in items if isinstance(i, CallDelta)]
    assert [d.call["function"]["arguments"] for d in deltas] == ['{"n": 1}']
    assert isinstance(items[-1], Finish) and items[-1].finish_reason == "tool_calls"
    both = list(run_completion(cast(Engine, engine), call(), lambda: None))
    assert len([i for i in both if isinstance(i, CallDelta)]) == 2
