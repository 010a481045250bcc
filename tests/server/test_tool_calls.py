"""Tool calling through the local API server, seen with the ``openai`` client.

The engine is the real one with the scripted model loaded (so ``/v1/models`` and the checks are real);
its ``generate`` is replaced by a stand-in that records each request and plays back the events a model
that calls tools yields. The last test runs a scripted calling GGUF on real llama.cpp, end to end.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletionMessageFunctionToolCall

from app.backend.protocol import (
    Answer,
    ChatMessage,
    Done,
    GenerationRequest,
    Reasoning,
    StreamEvent,
    ToolCall,
    ToolCallRequest,
)
from app.backend.qwen3_template import QWEN3_TEMPLATE
from app.backend.shared_engine import SharedEngine
from app.models.synthetic import WEATHER_CALL, Script, write_scripted_gguf
from app.server import ApiServer
from tests.server.conftest import RecordingEngine, model_of, raw_request, running_server

HI: Any = [{"role": "user", "content": "hi"}]  # Any: the client's TypedDicts are not the point here
WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
PARIS = ToolCallRequest("call_1", "get_weather", {"city": "Paris", "unit": "°C"}, raw="…")
GARBLED = ToolCallRequest("call_2", "get_weather", {}, raw='{"city": "Par', error="not JSON")


def calling(*calls: ToolCallRequest, before: str = "Let me check.") -> list[StreamEvent]:
    events: list[StreamEvent] = [Reasoning("I need the weather.")]
    if before:
        events.append(Answer(before))
    events.extend(ToolCall(call) for call in calls)
    events.append(Done("tool_calls", 30, 30, 12, 4, None, None, thought=True))
    return events


class ToolEngine(RecordingEngine):
    """Records every request; plays ``script`` instead of generating while one is set."""

    def __init__(self, state_dir: Path) -> None:
        super().__init__(state_dir)
        self.requests: list[GenerationRequest] = []
        self.script: list[StreamEvent] | None = None

    def generate(self, request: GenerationRequest) -> Iterator[StreamEvent]:
        self.requests.append(request)
        if self.script is None:
            yield from super().generate(request)
        else:
            yield from self.script


Served = tuple[ApiServer, SharedEngine, ToolEngine]


@pytest.fixture(scope="module")
def tool_server(tmp_path_factory: pytest.TempPathFactory, scripted_model: Path) -> Iterator[Served]:
    with running_server(tmp_path_factory.mktemp("state"), scripted_model, engine_type=ToolEngine) as (
        server,
        shared,
        engine,
    ):
        assert isinstance(engine, ToolEngine)
        yield server, shared, engine


@pytest.fixture
def served(tool_server: Served) -> Iterator[Served]:
    engine = tool_server[2]
    engine.requests.clear()
    yield tool_server
    engine.script = None


def test_a_call_comes_back_as_openai_tool_calls(
    served: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server, _, engine = served
    engine.script = calling(PARIS)
    r = client_for(server).chat.completions.create(
        model=model_of(server),
        messages=HI,
        tools=[WEATHER],
    )
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "Let me check."
    assert getattr(choice.message, "reasoning_content", None) == "I need the weather."
    calls = choice.message.tool_calls
    assert calls is not None and len(calls) == 1
    call = calls[0]
    assert isinstance(call, ChatCompletionMessageFunctionToolCall)
    assert call.type == "function" and call.id.startswith("call_") and call.id != "call_1"  # unique
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris", "unit": "°C"}
    assert r.usage is not None and r.usage.completion_tokens == 12
    (request,) = engine.requests
    assert request.tools == (WEATHER,)  # as sent: the model's template renders them
    assert request.messages == (ChatMessage("user", "hi"),)


def test_content_is_null_when_only_calls_were_made_and_every_call_has_its_own_id(
    served: Served,
) -> None:
    server, _, engine = served
    engine.script = calling(PARIS, ToolCallRequest("", "get_time", {}), before="")
    body = {"model": model_of(server), "messages": HI, "tools": [WEATHER]}
    status, _, r = raw_request(server, "POST", "/v1/chat/completions", json.dumps(body))
    assert status == 200
    message = r["choices"][0]["message"]
    assert message["content"] is None
    assert [c["function"]["name"] for c in message["tool_calls"]] == ["get_weather", "get_time"]
    ids = [c["id"] for c in message["tool_calls"]]
    assert all(i.startswith("call_") and len(i) > 10 for i in ids) and len(set(ids)) == 2
    assert message["tool_calls"][1]["function"]["arguments"] == "{}"


def test_a_call_the_engine_could_not_parse_comes_back_with_its_raw_text(
    served: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server, _, engine = served
    engine.script = calling(GARBLED, PARIS)
    r = client_for(server).chat.completions.create(
        model=model_of(server),
        messages=HI,
        tools=[WEATHER],
    )
    calls = r.choices[0].message.tool_calls
    assert calls is not None
    functions = [c.function for c in calls if isinstance(c, ChatCompletionMessageFunctionToolCall)]
    assert [f.arguments for f in functions] == [
        '{"city": "Par',
        '{"city": "Paris", "unit": "°C"}',
    ]
    assert r.choices[0].finish_reason == "tool_calls"


def test_streaming_sends_each_call_whole_in_a_tool_calls_delta(
    served: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server, _, engine = served
    engine.script = calling(PARIS, GARBLED)
    stream = client_for(server).chat.completions.create(
        model=model_of(server),
        messages=HI,
        tools=[WEATHER],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == "Let me check."
    deltas = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert [d.index for d in deltas] == [0, 1]
    assert len({d.id for d in deltas}) == 2 and all((d.id or "").startswith("call_") for d in deltas)
    assert all(d.type == "function" for d in deltas)
    functions = [d.function for d in deltas]
    assert [f.name if f else None for f in functions] == ["get_weather", "get_weather"]
    arguments = [f.arguments if f else None for f in functions]
    assert json.loads(arguments[0] or "") == {"city": "Paris", "unit": "°C"}
    assert arguments[1] == '{"city": "Par'  # the engine could not parse it: the model's raw text
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["tool_calls"]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 12
    assert engine.requests[0].tools == (WEATHER,)


def test_the_agent_loop_sends_the_calls_and_results_back_as_chat_messages(
    served: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server, _, engine = served
    client = client_for(server)
    engine.script = calling(PARIS)
    messages: Any = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.chat.completions.create(model=model_of(server), messages=messages, tools=[WEATHER])
    assistant = first.choices[0].message
    messages.append(assistant.model_dump(exclude_none=True, exclude={"reasoning_content"}))
    for call in assistant.tool_calls or []:
        messages.append({"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 21}'})
    engine.script = [Answer("It is 21 °C in Paris."), Done("stop", 60, 30, 8, 0, None, None)]
    second = client.chat.completions.create(model=model_of(server), messages=messages, tools=[WEATHER])
    assert second.choices[0].message.content == "It is 21 °C in Paris."
    assert second.choices[0].finish_reason == "stop" and second.choices[0].message.tool_calls is None
    arguments = '{"city": "Paris", "unit": "°C"}'
    call_id = (assistant.tool_calls or [])[0].id
    assert engine.requests[1].messages == (
        ChatMessage("user", "Weather in Paris?"),
        ChatMessage(
            "assistant",
            "Let me check.",
            tool_calls=(ToolCallRequest(call_id, "get_weather", json.loads(arguments), raw=arguments),),
        ),
        ChatMessage("tool", '{"temp_c": 21}', tool_call_id=call_id, name="get_weather"),
    )
    assert engine.requests[1].tools == (WEATHER,)


def test_tool_choice_none_sends_no_tools(served: Served, client_for: Callable[..., openai.OpenAI]) -> None:
    server, _, engine = served
    r = client_for(server).chat.completions.create(
        model=model_of(server),
        messages=HI,
        tools=[WEATHER],
        tool_choice="none",
    )
    assert r.choices[0].finish_reason == "stop" and r.choices[0].message.tool_calls is None
    assert r.choices[0].message.content  # the scripted model's real answer
    assert engine.requests[0].tools == ()


@pytest.mark.parametrize(
    ("options", "param"),
    [
        ({"tools": [WEATHER], "tool_choice": "required"}, "tool_choice"),
        (
            {"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
            "tool_choice",
        ),
        ({"tools": [{"type": "function", "function": {"name": "get weather"}}]}, "tools[0].function.name"),
        ({"tools": [{"type": "retrieval"}]}, "tools[0].type"),
        ({"tools": [WEATHER, WEATHER]}, "tools[1].function.name"),
    ],
)
def test_forced_calls_and_bad_tools_are_400_before_the_engine(
    served: Served, client_for: Callable[..., openai.OpenAI], options: dict, param: str
) -> None:
    server, _, engine = served
    with pytest.raises(openai.BadRequestError) as info:
        client_for(server).chat.completions.create(model=model_of(server), messages=HI, **options)
    error = info.value.body
    assert isinstance(error, dict) and error["param"] == param and error["message"]
    assert engine.requests == []


def test_a_malformed_tool_turn_is_400_naming_the_message_and_field(
    served: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server, _, engine = served
    messages = [
        *HI,
        {"role": "assistant", "content": None, "tool_calls": [{"id": "a", "function": {"arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "a", "content": "r"},
    ]
    with pytest.raises(openai.BadRequestError) as info:
        client_for(server).chat.completions.create(model=model_of(server), messages=messages)
    assert isinstance(info.value.body, dict)
    assert info.value.body["param"] == "messages[1].tool_calls[0].function.name"
    assert engine.requests == []


# ------------------------------------------------------------- real llama.cpp, end to end

CALLER = Script(answer=("Checking", " the", " weather", "!"), tool_call=WEATHER_CALL)


@pytest.fixture(scope="module")
def caller_server(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[Served]:
    """A scripted GGUF with Qwen3's official template that thinks, says "Checking the weather!" and
    calls get_weather(city="Paris"), generated for real; the engine only records the requests."""
    model = write_scripted_gguf(models_dir / "server-caller.gguf", CALLER, chat_template=QWEN3_TEMPLATE)
    with running_server(tmp_path_factory.mktemp("state"), model, n_ctx=1024, engine_type=ToolEngine) as (
        server,
        shared,
        engine,
    ):
        assert isinstance(engine, ToolEngine)
        yield server, shared, engine


def test_end_to_end_a_qwen3_call_through_the_server_and_back(
    caller_server: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server, shared, engine = caller_server
    client = client_for(server)
    messages: Any = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = client.chat.completions.create(model=model_of(server), messages=messages, tools=[WEATHER])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "Checking the weather!"
    assert getattr(choice.message, "reasoning_content", None) == "The user greets me."
    (call,) = choice.message.tool_calls or []
    assert isinstance(call, ChatCompletionMessageFunctionToolCall)
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Paris"}

    stream = client.chat.completions.create(
        model=model_of(server), messages=messages, tools=[WEATHER], stream=True
    )
    chunks = list(stream)
    deltas = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert len(deltas) == 1 and deltas[0].function is not None
    assert json.loads(deltas[0].function.arguments or "") == {"city": "Paris"}
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Checking the weather!"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"

    messages.append(choice.message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 18}'})
    second = client.chat.completions.create(model=model_of(server), messages=messages, tools=[WEATHER])
    assert second.choices[0].finish_reason == "tool_calls"  # the scripted model only knows one reply
    template = shared.engine.template
    assert template is not None
    prompt = template.render(engine.requests[-1].messages, enable_thinking=True, tools=(WEATHER,))
    assert (
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>\n'
        '<|im_start|>user\n<tool_response>\n{"temp_c": 18}\n</tool_response><|im_end|>\n'
    ) in prompt
    assert second.usage is not None and first.usage is not None
    assert second.usage.prompt_tokens > first.usage.prompt_tokens + 10  # the call and its result were read
