"""Tools, tool_choice and tool turns in requests, without a server: what reaches the engine, what not."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.backend.protocol import ChatMessage, ToolCallRequest
from app.server.api_errors import ApiError
from app.server.chat_request import parse_chat_request
from app.server.tool_request import MAX_TOOLS, MAX_TOOLS_BYTES

HI = [{"role": "user", "content": "hi"}]
WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        "strict": True,
    },
}


def tool(name: str, **function: Any) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, **function}}


def parse(**body: Any):
    return parse_chat_request({"model": "m", "messages": HI, **body})


def refusal(**body: Any) -> ApiError:
    with pytest.raises(ApiError) as info:
        parse(**body)
    assert info.value.status == 400 and info.value.message
    return info.value


def test_tools_reach_the_request_as_openai_function_objects() -> None:
    request = parse(tools=[WEATHER, tool("a.b-c_1")]).request
    assert request.tools == (
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "The weather in a city.",
                "parameters": WEATHER["function"]["parameters"],
            },
        },
        {"type": "function", "function": {"name": "a.b-c_1"}},
    )
    assert parse(tools=[WEATHER], tool_choice="auto").request.tools == request.tools[:1]
    assert parse().request.tools == () and parse(tools=[]).request.tools == ()


def test_parallel_tool_calls_is_a_switch() -> None:
    assert parse().parallel_tool_calls is True
    assert parse(parallel_tool_calls=True).parallel_tool_calls is True
    assert parse(parallel_tool_calls=False).parallel_tool_calls is False
    assert refusal(parallel_tool_calls="no").param == "parallel_tool_calls"


def test_tool_choice_none_sends_no_tools() -> None:
    assert parse(tools=[WEATHER], tool_choice="none").request.tools == ()


@pytest.mark.parametrize(
    "choice", ["required", {"type": "function", "function": {"name": "get_weather"}}, {"type": "x"}]
)
def test_forcing_a_call_is_refused_saying_what_is_supported(choice: object) -> None:
    error = refusal(tools=[WEATHER], tool_choice=choice)
    assert error.param == "tool_choice" and error.code == "unsupported"
    assert '"auto"' in error.message and '"none"' in error.message


@pytest.mark.parametrize(
    ("tools", "param"),
    [
        ({"type": "function"}, "tools"),
        ([tool(f"f{i}") for i in range(MAX_TOOLS + 1)], "tools"),
        ([tool("f", description="x" * MAX_TOOLS_BYTES)], "tools"),
        (["f"], "tools[0].type"),
        ([{"type": "code_interpreter"}], "tools[0].type"),
        ([{"type": "function"}], "tools[0].function"),
        ([{"type": "function", "function": {"description": "no name"}}], "tools[0].function.name"),
        ([tool("")], "tools[0].function.name"),
        ([tool("x" * 65)], "tools[0].function.name"),
        ([tool("get weather")], "tools[0].function.name"),
        ([tool("f"), tool("日本")], "tools[1].function.name"),
        ([tool("f"), tool("f")], "tools[1].function.name"),
        ([tool("f", description=3)], "tools[0].function.description"),
        ([tool("f", parameters="{}")], "tools[0].function.parameters"),
        ([tool("f", parameters=[])], "tools[0].function.parameters"),
    ],
)
def test_bad_tools_are_refused_naming_the_field(tools: object, param: str) -> None:
    assert refusal(tools=tools).param == param


def test_the_limits_are_inclusive() -> None:
    assert len(parse(tools=[tool(f"f{i}") for i in range(MAX_TOOLS)]).request.tools) == MAX_TOOLS
    assert parse(tools=[tool("x" * 64)]).request.tools[0]["function"]["name"] == "x" * 64


AGENT_TURNS = [
    {"role": "system", "content": "Use tools."},
    {"role": "user", "content": "Weather in Paris?"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            },
            {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}},
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": '{"temp_c": 21}'},
    {
        "role": "tool",
        "tool_call_id": "call_2",
        "name": "clock",
        "content": [{"type": "text", "text": "9:00"}],
    },
]


def test_a_history_with_tool_calls_and_results_maps_to_chat_messages() -> None:
    messages = parse_chat_request(
        {"model": "m", "messages": AGENT_TURNS, "tools": [WEATHER]}
    ).request.messages
    assert messages == (
        ChatMessage("system", "Use tools."),
        ChatMessage("user", "Weather in Paris?"),
        ChatMessage(
            "assistant",
            "",
            tool_calls=(
                ToolCallRequest("call_1", "get_weather", {"city": "Paris"}, raw='{"city": "Paris"}'),
                ToolCallRequest("call_2", "get_time", {}, raw="{}"),
            ),
        ),
        ChatMessage("tool", '{"temp_c": 21}', tool_call_id="call_1", name="get_weather"),  # found by id
        ChatMessage("tool", "9:00", tool_call_id="call_2", name="clock"),  # as the client named it
    )


def test_arguments_the_model_garbled_can_be_sent_back() -> None:
    turns = [
        *HI,
        {
            "role": "assistant",
            "content": "Let me look.",
            "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "f", "arguments": '{"city": "Par'}},
                {"id": "b", "type": "function", "function": {"name": "f", "arguments": "[1]"}},
                {"id": "c", "function": {"name": "f", "arguments": {"as": "object"}}},
            ],
        },
        {"role": "tool", "tool_call_id": "a", "content": "error: bad arguments"},
    ]
    calls = parse_chat_request({"model": "m", "messages": turns}).request.messages[1].tool_calls
    assert calls[0] == ToolCallRequest("a", "f", {}, raw='{"city": "Par', error="the arguments are not JSON")
    assert calls[1].error == "the arguments are JSON but not an object" and calls[1].raw == "[1]"
    assert calls[2] == ToolCallRequest("c", "f", {"as": "object"})


def assistant_call(call: object) -> list[dict[str, Any]]:
    return [*HI, {"role": "assistant", "content": None, "tool_calls": call}, *HI]


@pytest.mark.parametrize(
    ("messages", "param"),
    [
        (assistant_call({"id": "a"}), "messages[1].tool_calls"),
        (assistant_call(["a"]), "messages[1].tool_calls[0]"),
        (assistant_call([{"type": "function", "function": {"name": "f"}}]), "messages[1].tool_calls[0].id"),
        (assistant_call([{"id": "a", "type": "x", "function": {}}]), "messages[1].tool_calls[0].type"),
        (assistant_call([{"id": "a", "function": "f"}]), "messages[1].tool_calls[0].function"),
        (
            assistant_call([{"id": "a", "function": {"arguments": "{}"}}]),
            "messages[1].tool_calls[0].function.name",
        ),
        (
            assistant_call([{"id": "a", "function": {"name": "f", "arguments": 3}}]),
            "messages[1].tool_calls[0].function.arguments",
        ),
        (
            assistant_call([{"id": "a", "function": {"name": "f", "arguments": "[" * 100 + "]" * 100}}]),
            "messages[1].tool_calls[0].function.arguments",
        ),
        (
            assistant_call([{"id": "a", "function": {"name": "f", "arguments": "[" * 99999 + "]" * 99999}}]),
            "messages[1].tool_calls[0].function.arguments",
        ),
        (
            assistant_call([{"id": "a", "function": {"name": "f", "arguments": '{"x": "\\ud800"}'}}]),
            "messages[1].tool_calls[0].function.arguments",
        ),
        ([*HI, {"role": "tool", "content": "r"}], "messages[1].tool_call_id"),
        ([*HI, {"role": "tool", "tool_call_id": 1, "content": "r"}], "messages[1].tool_call_id"),
        ([*HI, {"role": "tool", "tool_call_id": "a", "name": 2, "content": "r"}], "messages[1].name"),
        ([*HI, {"role": "tool", "tool_call_id": "a", "content": None}], "messages[1].content"),
        (
            [*HI, {"role": "assistant", "content": "", "function_call": {"name": "f"}}],
            "messages[1].function_call",
        ),
    ],
)
def test_malformed_tool_turns_are_refused_naming_the_message_and_field(
    messages: list[dict[str, Any]], param: str
) -> None:
    with pytest.raises(ApiError) as info:
        parse_chat_request({"model": "m", "messages": messages})
    assert info.value.status == 400 and info.value.param == param, info.value.message


def test_a_tool_result_may_be_the_last_message_but_an_assistant_turn_may_not() -> None:
    assert parse_chat_request({"model": "m", "messages": AGENT_TURNS}).request.messages[-1].role == "tool"
    with pytest.raises(ApiError) as info:
        parse_chat_request({"model": "m", "messages": AGENT_TURNS[:3]})
    assert info.value.param == "messages"


def test_the_arguments_of_the_history_round_trip() -> None:
    arguments = {"query": "café ☕", "n": 3, "nested": {"ok": [True, None]}}
    turns = assistant_call([{"id": "a", "function": {"name": "f", "arguments": json.dumps(arguments)}}])
    call = parse_chat_request({"model": "m", "messages": turns}).request.messages[1].tool_calls[0]
    assert call.arguments == arguments and call.error is None
