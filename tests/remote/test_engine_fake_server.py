"""RemoteEngine against a fake OpenAI-compatible server: what it sends, how it reads, how it fails."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from app import __version__
from app.backend import errors
from app.backend.protocol import (
    Answer,
    ChatMessage,
    Done,
    GenerationRequest,
    Notice,
    Reasoning,
    Sampling,
    StreamEvent,
)
from app.remote.endpoint import Endpoint
from app.remote.engine import RemoteEngine
from tests.remote.fake_openai import MODEL, FakeOpenAI, closed_port

THOUGHT = "The user greets me."
REPLY = "Hello! How can I help?"


def ask(text: str = "hi", **kw: object) -> GenerationRequest:
    return GenerationRequest(messages=(ChatMessage("user", text),), **kw)  # type: ignore[arg-type]


def endpoint(fake: FakeOpenAI, preset: str = "vllm") -> Endpoint:
    return Endpoint(name="test", base_url=fake.base_url, preset=preset)


@pytest.fixture
def engine(fake: FakeOpenAI) -> Iterator[RemoteEngine]:
    with RemoteEngine(endpoint(fake), MODEL, timeout=60) as eng:
        yield eng


def text_of(events: list[StreamEvent], kind: type) -> str:
    return "".join(e.text for e in events if isinstance(e, kind))


def notices(events: list[StreamEvent]) -> dict[str, str]:
    return {e.code: e.text for e in events if isinstance(e, Notice)}


# ------------------------------------------------------------------ connect


def test_connect_lists_models_with_their_context(fake: FakeOpenAI) -> None:
    fake.models = [
        {"id": MODEL, "max_model_len": 40960, "owned_by": "vllm"},
        {"id": "qwen3-gguf", "meta": {"n_ctx_train": 32768}},
    ]
    with RemoteEngine(endpoint(fake), "qwen3-gguf") as eng:
        report = eng.connect()
        assert [m.id for m in report.models] == [MODEL, "qwen3-gguf"]
        assert report.models[0].context_length == 40960 and report.models[0].owned_by == "vllm"
        assert report.model == "qwen3-gguf" and report.context_length == eng.context_length == 32768
        assert report.notices == []  # a server on this computer: nothing to warn about
        assert eng.label == f"qwen3-gguf @ 127.0.0.1:{fake.port}"


def test_connect_takes_the_only_model_and_refuses_to_guess_among_several(fake: FakeOpenAI) -> None:
    with RemoteEngine(endpoint(fake)) as eng:
        assert eng.connect().model == MODEL and eng.model == MODEL
    fake.models = [{"id": "a"}, {"id": "b"}]
    with RemoteEngine(endpoint(fake)) as eng, pytest.raises(errors.RemoteModelMissingError) as exc:
        eng.connect()
    assert exc.value.available == ("a", "b") and "choose one" in exc.value.message
    assert exc.value.to_json()["available"] == ["a", "b"]


def test_connect_with_a_model_the_server_does_not_list(fake: FakeOpenAI) -> None:
    with (
        RemoteEngine(endpoint(fake), "Qwen/Qwen3-32B") as eng,
        pytest.raises(errors.RemoteModelMissingError) as exc,
    ):
        eng.connect()
    assert exc.value.kind == "remote_model_missing" and exc.value.available == (MODEL,)
    assert "Qwen/Qwen3-32B" in exc.value.message and MODEL in exc.value.message


def test_connect_accepts_ollamas_default_tag_and_an_empty_list(fake: FakeOpenAI) -> None:
    fake.models = [{"id": "qwen3:latest", "owned_by": "library"}]
    with RemoteEngine(endpoint(fake, "ollama"), "qwen3") as eng:
        assert eng.connect().model == "qwen3:latest"
    fake.models = []
    with (
        RemoteEngine(endpoint(fake, "ollama"), "qwen3") as eng,
        pytest.raises(errors.RemoteModelMissingError),
    ):
        eng.connect()


def test_connect_to_a_closed_port_is_unreachable() -> None:
    port = closed_port()
    with (
        RemoteEngine(Endpoint("x", f"http://127.0.0.1:{port}/v1")) as eng,
        pytest.raises(errors.RemoteUnreachableError) as exc,
    ):
        eng.connect()
    assert exc.value.kind == "unreachable"
    assert f"http://127.0.0.1:{port}/v1" in exc.value.message and "refused" in exc.value.message


def test_connect_to_a_name_that_does_not_resolve() -> None:
    with (
        RemoteEngine(Endpoint("x", "http://no-such-host.invalid:8000/v1")) as eng,
        pytest.raises(errors.RemoteUnreachableError) as exc,
    ):
        eng.connect()
    assert "could not be resolved" in exc.value.message or "no-such-host.invalid" in exc.value.message


def test_connect_to_a_server_that_is_not_openai_compatible(fake: FakeOpenAI) -> None:
    fake.models_body = b"<html><body>It works!</body></html>"
    with RemoteEngine(endpoint(fake)) as eng, pytest.raises(errors.RemoteProtocolError) as exc:
        eng.connect()
    assert "/v1" in exc.value.message and exc.value.kind == "bad_response"


def test_connect_with_the_wrong_base_path(fake: FakeOpenAI) -> None:
    wrong = Endpoint("x", f"http://127.0.0.1:{fake.port}/api")
    with RemoteEngine(wrong) as eng, pytest.raises(errors.RemoteServerError) as exc:
        eng.connect()
    assert exc.value.status == 404 and "/v1" in exc.value.message


def test_api_key_is_sent_as_bearer_and_a_refusal_is_unauthorized(fake: FakeOpenAI) -> None:
    fake.api_key = "sk-right"
    with RemoteEngine(endpoint(fake), MODEL, "sk-right") as eng:
        assert eng.connect().model == MODEL
        events = list(eng.generate(ask()))
    assert text_of(events, Answer) == REPLY
    assert all(r.headers["authorization"] == "Bearer sk-right" for r in fake.requests)
    with RemoteEngine(endpoint(fake), MODEL, "sk-wrong") as eng, pytest.raises(errors.RemoteAuthError) as exc:
        eng.connect()
    assert exc.value.kind == "unauthorized" and "refused the API key" in exc.value.message
    assert "Invalid API key." in exc.value.message
    with RemoteEngine(endpoint(fake), MODEL) as eng, pytest.raises(errors.RemoteAuthError) as exc:
        list(eng.generate(ask()))
    assert "needs an API key" in exc.value.message
    assert "authorization" not in fake.requests[-1].headers


# ------------------------------------------------------------------ streaming


def test_vllm_reasoning_content_stream_and_what_is_sent(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    history = (
        ChatMessage("system", "Be kind."),
        ChatMessage("user", "hi"),
        ChatMessage("assistant", "Hi there."),
        ChatMessage("user", "and then?"),
    )
    events = list(engine.generate(GenerationRequest(messages=history)))
    assert text_of(events, Reasoning) == THOUGHT and text_of(events, Answer) == REPLY
    kinds = [type(e) for e in events]
    assert kinds.index(Answer) > max(i for i, k in enumerate(kinds) if k is Reasoning)  # reasoning first
    done = events[-1]
    assert isinstance(done, Done) and done.finish_reason == "stop"
    assert (done.prompt_tokens, done.evaluated_prompt_tokens, done.completion_tokens) == (11, 11, 14)
    assert done.reasoning_tokens == 5 and done.thought and not done.reasoning_unclosed
    assert done.ttft_s is not None and done.ttft_s >= 0
    (chat,) = fake.chats
    body = chat.body
    assert body is not None
    assert body["model"] == MODEL and body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"] == [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hi there."},
        {"role": "user", "content": "and then?"},
    ]
    assert body["chat_template_kwargs"] == {"enable_thinking": True}
    # Qwen3's thinking preset, with the extras vLLM takes
    assert (body["temperature"], body["top_p"], body["top_k"], body["min_p"]) == (0.6, 0.95, 20, 0.0)
    assert body["presence_penalty"] == 0.0 and "seed" not in body and "max_tokens" not in body
    assert chat.headers["user-agent"] == f"QwenDesk/{__version__}"
    assert "authorization" not in chat.headers


def test_history_carries_answers_only_never_reasoning(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    first = list(engine.generate(ask()))
    answer = text_of(first, Answer)
    list(engine.generate(GenerationRequest((ChatMessage("user", "hi"), ChatMessage("assistant", answer),
                                            ChatMessage("user", "more")))))  # fmt: skip
    sent = fake.chats[-1].body
    assert sent is not None
    assistant = [m for m in sent["messages"] if m["role"] == "assistant"]
    assert assistant == [{"role": "assistant", "content": REPLY}]
    assert all(set(m) == {"role", "content"} for m in sent["messages"])
    assert "greets" not in str(sent["messages"])


@pytest.mark.parametrize("mode", ["vllm-reasoning", "vllm-both"])
def test_reasoning_field_named_reasoning_and_both_names_count_once(
    fake: FakeOpenAI, engine: RemoteEngine, mode: str
) -> None:
    fake.mode = mode
    events = list(engine.generate(ask()))
    assert text_of(events, Reasoning) == THOUGHT and text_of(events, Answer) == REPLY


def test_no_usage_chunk_counts_the_pieces(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    fake.mode = "no-usage"
    done = list(engine.generate(ask()))[-1]
    assert isinstance(done, Done)
    # 5 reasoning pieces, "\n\n", 7 answer pieces
    assert (done.prompt_tokens, done.completion_tokens, done.reasoning_tokens) == (0, 13, 5)


def test_think_tags_in_content(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    fake.mode = "tags"
    events = list(engine.generate(ask()))
    assert text_of(events, Reasoning) == THOUGHT and text_of(events, Answer) == REPLY
    assert "<think>" not in text_of(events, Answer) + text_of(events, Reasoning)


def test_thought_opened_by_the_prompt_only_closes_in_content(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    fake.mode = "prompt-opened"
    events = list(engine.generate(ask()))
    assert text_of(events, Reasoning) == THOUGHT and text_of(events, Answer) == REPLY
    assert "reasoning_unmarked" not in notices(events)
    done = events[-1]
    assert isinstance(done, Done) and done.thought and not done.reasoning_unclosed


def test_unmarked_answer_with_thinking_on_is_the_answer_and_said_once(
    fake: FakeOpenAI, engine: RemoteEngine
) -> None:
    fake.mode = "plain"
    events = list(engine.generate(ask()))
    assert text_of(events, Answer) == REPLY and text_of(events, Reasoning) == ""
    assert "reasoning parser" in notices(events)["reasoning_unmarked"]
    assert len([e for e in events if isinstance(e, Answer)]) == 1  # held until the end, then released
    again = list(engine.generate(ask()))
    assert text_of(again, Answer) == REPLY and "reasoning_unmarked" not in notices(again)
    # Learnt: this server's content is the answer, so it streams piece by piece from now on.
    assert len([e for e in again if isinstance(e, Answer)]) > 1
    off = list(engine.generate(ask(enable_thinking=False)))  # thinking off: nothing is held or said
    assert text_of(off, Answer) == REPLY and notices(off) == {}


def test_non_thinking_request(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    events = list(engine.generate(ask(enable_thinking=False, max_tokens=64, sampling=Sampling(seed=7))))
    body = fake.chats[-1].body
    assert body is not None
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert (body["temperature"], body["top_p"], body["top_k"], body["seed"]) == (0.7, 0.8, 20, 7)
    assert body["max_tokens"] == 64
    # this fake server thinks anyway: the user is told the switch did not reach the model
    assert "did not pass the switch" in notices(events)["thinking_not_off"]


def test_ollama_switches_thinking_with_reasoning_effort(fake: FakeOpenAI) -> None:
    fake.models = [{"id": "qwen3:8b", "owned_by": "library"}]
    fake.mode = "vllm-reasoning"  # Ollama's /v1 sends "reasoning"
    with RemoteEngine(endpoint(fake, "ollama"), "qwen3:8b") as eng:
        on = list(eng.generate(ask(sampling=Sampling(top_k=5, presence_penalty=1.5))))
        list(eng.generate(ask(enable_thinking=False)))
    assert text_of(on, Reasoning) == THOUGHT and text_of(on, Answer) == REPLY
    think_on, think_off = (r.body for r in fake.chats)
    assert think_on is not None and think_off is not None
    for body in (think_on, think_off):
        assert "chat_template_kwargs" not in body and "top_k" not in body and "min_p" not in body
    assert "reasoning_effort" not in think_on and think_on["presence_penalty"] == 1.5
    assert think_off["reasoning_effort"] == "none"


def test_finish_length_inside_the_thought(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    fake.mode = "length"
    done = list(engine.generate(ask(max_tokens=5)))[-1]
    assert isinstance(done, Done)
    assert done.finish_reason == "length" and done.thought and done.reasoning_unclosed


def test_thinking_budget_is_said_not_to_apply(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    events = list(engine.generate(ask(thinking_budget=16)))
    assert "budget_unsupported" in notices(events)
    done = events[-1]
    assert isinstance(done, Done) and not done.thinking_budget_hit and done.finish_reason == "stop"
    assert "budget_unsupported" not in notices(
        list(engine.generate(ask(enable_thinking=False, thinking_budget=16)))
    )


def test_requests_are_checked_like_the_local_engine(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    cases = [
        (GenerationRequest(messages=()), "The conversation is empty."),
        (GenerationRequest((ChatMessage("user", "a"), ChatMessage("assistant", "b"))), "must be the user's"),
        (ask(sampling=Sampling(temperature=0)), "Greedy"),
        (ask(max_tokens=0), "max tokens must be"),
        (ask(thinking_budget=-1), "thinking budget must be"),
    ]
    for request, words in cases:
        with pytest.raises(errors.InvalidRequestError, match=words):
            list(engine.generate(request))
    assert fake.chats == []  # nothing was sent


# -------------------------------------------------------------- misbehaviour


def test_unknown_model_on_chat_lists_the_available(fake: FakeOpenAI) -> None:
    with (
        RemoteEngine(endpoint(fake), "Qwen/Qwen3-0.6B") as eng,
        pytest.raises(errors.RemoteModelMissingError) as exc,
    ):
        list(eng.generate(ask()))
    assert exc.value.available == (MODEL,) and "does not exist" in exc.value.message


def test_server_error_carries_its_message_and_status(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    fake.mode = "server-error"
    with pytest.raises(errors.RemoteServerError) as exc:
        list(engine.generate(ask()))
    assert exc.value.status == 500 and "CUDA out of memory" in exc.value.message
    assert exc.value.to_json()["status"] == 500 and exc.value.kind == "server_error"


def test_strict_server_gets_the_request_again_without_extras_once(fake: FakeOpenAI) -> None:
    fake.mode = "strict"
    with RemoteEngine(endpoint(fake, "custom"), MODEL) as eng:
        events = list(eng.generate(ask()))
        assert text_of(events, Answer) == REPLY
        dropped = notices(events)["fields_dropped"]
        for name in ("top_k", "min_p", "presence_penalty", "chat_template_kwargs"):
            assert name in dropped
        assert "Unrecognized request argument" in dropped
        assert len(fake.chats) == 2
        first, second = (r.body or {} for r in fake.chats)
        assert "top_k" in first and "chat_template_kwargs" in first
        assert not {"top_k", "min_p", "presence_penalty", "seed", "chat_template_kwargs"} & set(second)
        assert (second["temperature"], second["top_p"]) == (0.6, 0.95)
        later = list(eng.generate(ask(sampling=Sampling(seed=3))))  # remembered: one request, no notice
    assert len(fake.chats) == 3 and "fields_dropped" not in notices(later)
    assert "seed" not in (fake.chats[-1].body or {})


def test_a_malformed_chunk_is_a_bad_response_after_what_came(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    fake.mode = "bad-json"
    events: list[StreamEvent] = []
    with pytest.raises(errors.RemoteProtocolError) as exc:
        events.extend(engine.generate(ask(enable_thinking=False)))
    assert "not valid JSON" in exc.value.message
    assert text_of(events, Answer) == "Hello"


def test_a_stream_cut_before_the_end_is_a_bad_response(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    fake.mode = "cut"
    events: list[StreamEvent] = []
    with pytest.raises(errors.RemoteProtocolError) as exc:
        events.extend(engine.generate(ask(enable_thinking=False)))
    assert "ended before the answer was complete" in exc.value.message
    assert text_of(events, Answer) == "Hello!"


def test_an_error_event_in_the_stream(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    fake.mode = "error-event"
    with pytest.raises(errors.RemoteServerError, match="the engine died"):
        list(engine.generate(ask(enable_thinking=False)))


def test_a_page_instead_of_a_stream(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    fake.mode = "html"
    with pytest.raises(errors.RemoteProtocolError) as exc:
        list(engine.generate(ask()))
    assert "text/html" in exc.value.message and "server-sent events" in exc.value.message


def test_read_timeout(fake: FakeOpenAI) -> None:
    fake.mode = "stall"
    with (
        RemoteEngine(endpoint(fake), MODEL, timeout=0.3) as eng,
        pytest.raises(errors.RemoteTimeoutError) as exc,
    ):
        list(eng.generate(ask()))
    assert exc.value.kind == "timeout" and "0.3 s" in exc.value.message
    assert fake.client_gone.wait(10)


# -------------------------------------------------------------------- cancel


def cancel_when_received(fake: FakeOpenAI, eng: RemoteEngine) -> threading.Thread:
    def stop() -> None:
        if fake.received.wait(30):
            eng.cancel()

    thread = threading.Thread(target=stop, daemon=True)
    thread.start()
    return thread


class Turn:
    """``engine.generate`` running in its own thread, as the window runs it."""

    def __init__(self, engine: RemoteEngine, request: GenerationRequest) -> None:
        self.events: list[StreamEvent] = []
        self.first_reasoning = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(engine, request), daemon=True)
        self.thread.start()

    def _run(self, engine: RemoteEngine, request: GenerationRequest) -> None:
        for ev in engine.generate(request):
            self.events.append(ev)
            if isinstance(ev, Reasoning):
                self.first_reasoning.set()

    def finished(self) -> bool:
        self.thread.join(30)
        return not self.thread.is_alive()


def test_cancel_while_the_server_has_sent_nothing(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    """Prompt evaluation on a big model: no headers, no bytes. Stop must still reach the server at once.

    The engine's read timeout is 60 s: without a working cancel the connection stays open that long.
    """
    fake.mode = "stall"
    engine.connect()  # a keep-alive server: the chat must still get a socket of its own to shut down
    turn = Turn(engine, ask())
    assert fake.received.wait(30)
    engine.cancel()
    assert fake.client_gone.wait(30), "the server did not see the connection close"
    assert turn.finished()
    (done,) = turn.events
    assert isinstance(done, Done) and done.finish_reason == "cancelled" and done.completion_tokens == 0


def test_cancel_mid_stream_keeps_what_came(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    fake.mode = "stall-after-first"
    turn = Turn(engine, ask())
    assert turn.first_reasoning.wait(30)
    engine.cancel()
    assert fake.client_gone.wait(30), "the server did not see the connection close"
    assert turn.finished()
    assert text_of(turn.events, Reasoning) == "The"
    done = turn.events[-1]
    assert isinstance(done, Done) and done.finish_reason == "cancelled"
    assert done.thought and done.reasoning_unclosed


def test_the_engine_works_again_after_a_cancel(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    fake.mode = "stall"
    thread = cancel_when_received(fake, engine)
    assert [type(e) for e in engine.generate(ask())] == [Done]
    thread.join(10)
    fake.mode = "vllm"
    assert text_of(list(engine.generate(ask())), Answer) == REPLY


def test_closing_the_generator_closes_the_connection(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    fake.mode = "stall-after-first"
    gen = engine.generate(ask())
    assert isinstance(next(gen), Reasoning)
    gen.close()
    assert fake.client_gone.wait(10)
