"""``run_completion`` with a stand-in engine: a stop string cancels the generation and keeps its counts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from app.backend.engine import Engine
from app.backend.protocol import Answer, ChatMessage, Done, GenerationRequest, Notice, Reasoning, StreamEvent
from app.server.chat_request import ChatCall
from app.server.completion import CONTENT, REASONING, Delta, Finish, run_completion


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
