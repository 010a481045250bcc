"""RemoteEngine with tools against the fake OpenAI server: tools and tool history sent in the OpenAI
form, streamed tool_call deltas assembled into ToolCall events, raw <tool_call> text parsed too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

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
from app.remote.endpoint import Endpoint
from app.remote.engine import RemoteEngine
from tests.remote.fake_openai import MODEL, FakeOpenAI

WEATHER: dict[str, Any] = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather.", "parameters": {"type": "object"}},
}
ASK = (ChatMessage("user", "Weather in Paris?"),)


@pytest.fixture
def engine(fake: FakeOpenAI) -> Iterator[RemoteEngine]:
    with RemoteEngine(Endpoint(name="t", base_url=fake.base_url, preset="vllm"), MODEL, timeout=60) as eng:
        yield eng


def calls(events: list[StreamEvent]) -> list[ToolCallRequest]:
    return [e.call for e in events if isinstance(e, ToolCall)]


def test_streamed_tool_call_deltas_become_tool_calls(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    fake.mode = "tool-calls"
    events = list(engine.generate(GenerationRequest(ASK, tools=(WEATHER,))))
    assert "".join(e.text for e in events if isinstance(e, Reasoning)) == "Need the weather."
    assert "".join(e.text for e in events if isinstance(e, Answer)) == "Checking."
    assert [(c.id, c.name, c.arguments, c.error) for c in calls(events)] == [
        ("chatcmpl-tool-a", "get_weather", {"city": "Paris"}, None),
        ("chatcmpl-tool-b", "get_time", {}, None),
    ]
    assert isinstance(events[-1], Done) and events[-1].finish_reason == "tool_calls"
    assert fake.chats[-1].body is not None and fake.chats[-1].body["tools"] == [WEATHER]


def test_raw_tool_call_text_is_parsed(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    fake.mode = "tool-text"
    events = list(engine.generate(GenerationRequest(ASK, tools=(WEATHER,), enable_thinking=False)))
    assert "".join(e.text for e in events if isinstance(e, Answer)) == "Checking."
    assert [(c.id, c.name, c.arguments) for c in calls(events)] == [
        ("call_1", "get_weather", {"city": "Paris"})
    ]
    assert isinstance(events[-1], Done) and events[-1].finish_reason == "tool_calls"


def test_without_tools_the_text_is_the_answer(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    fake.mode = "tool-text"
    events = list(engine.generate(GenerationRequest(ASK, enable_thinking=False)))
    assert not calls(events) and "<tool_call>" in "".join(e.text for e in events if isinstance(e, Answer))
    assert isinstance(events[-1], Done) and events[-1].finish_reason == "stop"
    assert fake.chats[-1].body is not None and "tools" not in fake.chats[-1].body


def test_the_tool_history_goes_in_the_openai_form(fake: FakeOpenAI, engine: RemoteEngine) -> None:
    fake.mode = "plain"
    call = ToolCallRequest("call_1", "get_weather", {"city": "Paris"})
    history = (
        *ASK,
        ChatMessage("assistant", "", reasoning="private", tool_calls=(call,)),
        ChatMessage("tool", "sunny", tool_call_id="call_1", name="get_weather"),
    )
    events = list(engine.generate(GenerationRequest(history, tools=(WEATHER,))))
    assert isinstance(events[-1], Done) and events[-1].finish_reason == "stop"
    body = fake.chats[-1].body
    assert body is not None
    assert body["messages"][1:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": json.dumps({"city": "Paris"})},
                }
            ],
        },
        {"role": "tool", "content": "sunny", "tool_call_id": "call_1", "name": "get_weather"},
    ]
