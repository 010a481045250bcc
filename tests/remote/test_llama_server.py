"""RemoteEngine against a real server: llama-cpp-python's, running the generated Qwen3 GGUF."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.backend import errors
from app.backend.protocol import Answer, ChatMessage, Done, GenerationRequest, Notice, Reasoning, StreamEvent
from app.remote.endpoint import Endpoint
from app.remote.engine import RemoteEngine

THOUGHT = "The user greets me."
REPLY = "Hello! How can I help?"


@pytest.fixture
def engine(llama_base_url: str) -> Iterator[RemoteEngine]:
    with RemoteEngine(Endpoint.from_url(llama_base_url), timeout=60) as eng:
        yield eng


def ask(**kw: object) -> GenerationRequest:
    return GenerationRequest(messages=(ChatMessage("user", "hi"),), **kw)  # type: ignore[arg-type]


def text_of(events: list[StreamEvent], kind: type) -> str:
    return "".join(e.text for e in events if isinstance(e, kind))


def test_connect_lists_the_served_model(engine: RemoteEngine, scripted_model: object) -> None:
    report = engine.connect()
    assert [m.id for m in report.models] == [str(scripted_model)]
    assert report.model == engine.model == str(scripted_model)
    assert report.context_length is None  # this server does not say


def test_think_tags_become_reasoning_and_answer(engine: RemoteEngine) -> None:
    events = list(engine.generate(ask()))  # no connect(): the one model served is taken
    assert text_of(events, Reasoning) == THOUGHT and text_of(events, Answer) == REPLY
    done = events[-1]
    assert isinstance(done, Done) and done.finish_reason == "stop" and done.thought
    # no usage chunk from this server: counted pieces (<think>, 5 reasoning, </think>, "\n\n", 7 answer)
    assert (done.completion_tokens, done.reasoning_tokens, done.prompt_tokens) == (15, 5, 0)
    assert done.ttft_s is not None and done.decode_tokens_per_s is not None


def test_thinking_off_is_asked_for_but_this_server_ignores_the_switch(engine: RemoteEngine) -> None:
    events = list(engine.generate(ask(enable_thinking=False)))
    assert text_of(events, Answer) == REPLY
    assert "<think>" not in text_of(events, Answer)
    codes = [e.code for e in events if isinstance(e, Notice)]
    assert codes == ["thinking_not_off"]  # llama-cpp-python does not pass chat_template_kwargs on


def test_max_tokens_cuts_the_thought(engine: RemoteEngine) -> None:
    done = list(engine.generate(ask(max_tokens=3)))[-1]
    assert isinstance(done, Done)
    assert done.finish_reason == "length" and done.reasoning_unclosed and done.completion_tokens == 3


def test_cancel_between_pieces(engine: RemoteEngine) -> None:
    events: list[StreamEvent] = []
    for ev in engine.generate(ask()):
        events.append(ev)
        if isinstance(ev, Reasoning):
            engine.cancel()
    assert text_of(events, Reasoning) == "The" and text_of(events, Answer) == ""
    done = events[-1]
    assert isinstance(done, Done) and done.finish_reason == "cancelled"
    assert done.thought and done.reasoning_unclosed
    again = list(engine.generate(ask()))  # the engine is fine afterwards
    assert text_of(again, Answer) == REPLY


def test_a_model_the_server_does_not_serve(llama_base_url: str, scripted_model: object) -> None:
    with (
        RemoteEngine(Endpoint.from_url(llama_base_url), "Qwen3-235B") as eng,
        pytest.raises(errors.RemoteModelMissingError) as exc,
    ):
        eng.connect()
    assert exc.value.available == (str(scripted_model),)
