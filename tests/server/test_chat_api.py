"""The local API server seen through the ``openai`` client: think on/off, streaming, stop, limits, models."""

from __future__ import annotations

from collections.abc import Callable

import openai

from app.backend.shared_engine import SharedEngine
from app.server import ApiServer
from tests.server.conftest import HI, REASONING, REPLY, RecordingEngine, model_of
from tests.server.test_chat_request import parsed_messages

Served = tuple[ApiServer, SharedEngine, RecordingEngine]
NO_THINK = {"chat_template_kwargs": {"enable_thinking": False}}


def reasoning_of(obj: object) -> str | None:
    return getattr(obj, "reasoning_content", None)


def test_thinking_on_separates_the_reasoning(
    scripted_server: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server, _, _ = scripted_server
    client = client_for(server)
    r = client.chat.completions.create(model=model_of(server), messages=HI)
    message = r.choices[0].message
    assert message.content == REPLY
    assert reasoning_of(message) == REASONING
    assert r.choices[0].finish_reason == "stop"
    assert r.object == "chat.completion" and r.id.startswith("chatcmpl-") and r.model == model_of(server)
    assert r.usage is not None
    assert r.usage.completion_tokens == 15 and r.usage.prompt_tokens > 0
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    assert r.usage.completion_tokens_details is not None
    assert r.usage.completion_tokens_details.reasoning_tokens == 5


def test_thinking_off_answers_without_reasoning(
    scripted_server: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server, _, _ = scripted_server
    client = client_for(server)
    r = client.chat.completions.create(model=model_of(server), messages=HI, extra_body=NO_THINK)
    assert r.choices[0].message.content == REPLY
    assert reasoning_of(r.choices[0].message) is None
    assert r.model_dump()["choices"][0]["message"]["reasoning_content"] is None  # present, null
    assert r.usage is not None and r.usage.completion_tokens_details is not None
    assert r.usage.completion_tokens_details.reasoning_tokens == 0


def test_reasoning_sent_back_by_the_client_is_never_fed_to_the_model(
    scripted_server: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server, shared, _ = scripted_server
    client = client_for(server)
    messages = [
        {"role": "system", "content": [{"type": "text", "text": "Be kind."}]},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": REPLY, "reasoning_content": "SECRET-1", "reasoning": "SECRET-2"},
        {"role": "user", "content": [{"type": "text", "text": "and"}, {"type": "text", "text": "again"}]},
    ]
    r = client.chat.completions.create(model=model_of(server), messages=messages)
    assert r.choices[0].message.content == REPLY
    template = shared.engine.template
    assert template is not None
    prompt = template.render(parsed_messages(messages), enable_thinking=True)
    assert "SECRET" not in prompt and "Be kind." in prompt and "and\nagain" in prompt
    assert r.usage is not None and r.usage.prompt_tokens > 21  # the whole conversation was evaluated


def test_streaming_sends_reasoning_deltas_then_content_then_usage(
    scripted_server: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server, _, _ = scripted_server
    client = client_for(server)
    stream = client.chat.completions.create(
        model=model_of(server), messages=HI, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    order = []
    for chunk in chunks:
        assert chunk.object == "chat.completion.chunk" and chunk.id == chunks[0].id
        for choice in chunk.choices:
            if reasoning_of(choice.delta):
                order.append(("reasoning", reasoning_of(choice.delta)))
            if choice.delta.content:
                order.append(("content", choice.delta.content))
    kinds = [k for k, _ in order]
    assert kinds == sorted(kinds, key=lambda k: k == "content")  # all reasoning before any content
    assert kinds.count("reasoning") > 1 and kinds.count("content") > 1  # streamed piece by piece
    assert "".join(t for k, t in order if k == "reasoning") == REASONING
    assert "".join(t for k, t in order if k == "content") == REPLY
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert [c.choices[0].finish_reason for c in finals] == ["stop"]
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert last.usage.completion_tokens == 15
    assert last.usage.completion_tokens_details is not None
    assert last.usage.completion_tokens_details.reasoning_tokens == 5
    assert all(c.usage is None for c in chunks[:-1])


def test_streaming_without_usage_and_without_thinking(
    scripted_server: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server, _, _ = scripted_server
    client = client_for(server)
    with client.chat.completions.create(
        model=model_of(server), messages=HI, stream=True, extra_body=NO_THINK
    ) as stream:
        chunks = list(stream)
    assert all(c.usage is None and c.choices for c in chunks)
    assert not any(reasoning_of(c.choices[0].delta) for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == REPLY
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_stop_string_trims_the_answer(
    scripted_server: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server, _, engine = scripted_server
    client = client_for(server)
    before = len(engine.endings)
    r = client.chat.completions.create(model=model_of(server), messages=HI, stop=[" can", "zzz"])
    assert r.choices[0].message.content == "Hello! How"
    assert reasoning_of(r.choices[0].message) == REASONING
    assert r.choices[0].finish_reason == "stop"
    # The tiny model may finish before the cancel lands; test_completion.py checks the cancel itself.
    assert engine.endings[before:] in (["cancelled"], ["stop"])
    assert r.usage is not None and r.usage.completion_tokens <= 15


def test_stop_string_spanning_streamed_pieces(
    scripted_server: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server, _, _ = scripted_server
    client = client_for(server)
    stream = client.chat.completions.create(model=model_of(server), messages=HI, stream=True, stop="lo! H")
    chunks = list(stream)
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == "Hel"
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_stop_strings_do_not_cut_the_reasoning(
    scripted_server: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server, _, _ = scripted_server
    client = client_for(server)
    r = client.chat.completions.create(model=model_of(server), messages=HI, stop="user")
    assert reasoning_of(r.choices[0].message) == REASONING
    assert r.choices[0].message.content == REPLY


def test_max_tokens_ends_with_length(
    scripted_server: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server, _, _ = scripted_server
    client = client_for(server)
    r = client.chat.completions.create(model=model_of(server), messages=HI, max_tokens=3)
    assert r.choices[0].finish_reason == "length"
    assert r.choices[0].message.content == ""
    assert reasoning_of(r.choices[0].message) == "The user"  # <think>, The, user
    assert r.usage is not None and r.usage.completion_tokens == 3
    stream = client.chat.completions.create(
        model=model_of(server), messages=HI, max_completion_tokens=3, stream=True, extra_body=NO_THINK
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello! How"
    assert chunks[-1].choices[0].finish_reason == "length"


def test_sampling_parameters_are_accepted(
    scripted_server: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server, _, _ = scripted_server
    client = client_for(server)
    r = client.chat.completions.create(
        model=model_of(server),
        messages=HI,
        temperature=0.9,
        top_p=0.9,
        presence_penalty=1.5,
        seed=7,
        n=1,
        extra_body={"top_k": 5, "min_p": 0.05, "thinking_budget": 100},
    )
    assert r.choices[0].message.content == REPLY


def test_model_listing(scripted_server: Served, client_for: Callable[..., openai.OpenAI]) -> None:
    server, _, _ = scripted_server
    client = client_for(server)
    models = client.models.list()
    assert [m.id for m in models.data] == ["scripted"]  # the GGUF's file name without .gguf
    card = models.data[0]
    assert card.object == "model" and card.owned_by == "qwendesk" and card.created > 0
    assert card.model_dump()["max_model_len"] == 512  # the loaded context, as vLLM reports it
    assert client.models.retrieve("scripted").id == "scripted"


def test_a_client_coming_back_after_another_reuses_its_prompt_from_the_kept_states(
    scripted_server: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    """Two clients with long system prompts take turns: each one's prompt comes back from memory."""
    server, _, _ = scripted_server
    client = client_for(server)
    long_a = "You answer questions about the harbour. " * 6  # the scripted model: ~a token a character
    long_b = "You answer questions about the railway. " * 6

    def ask(system: str, question: str) -> openai.types.CompletionUsage:
        r = client.chat.completions.create(
            model=model_of(server),
            messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
            extra_body=NO_THINK,
        )
        assert r.usage is not None and r.usage.prompt_tokens_details is not None
        return r.usage

    first = ask(long_a, "When did it open?")
    assert first.prompt_tokens_details is not None and first.prompt_tokens_details.cached_tokens < 10
    ask(long_b, "When did it open?")  # the context now holds the other client's prompt
    again = ask(long_a, "And when did it close?")
    assert again.prompt_tokens_details is not None
    assert again.prompt_tokens_details.cached_tokens > again.prompt_tokens - 40
