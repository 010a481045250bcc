"""Request parsing and stop strings, without a server: what is accepted, what is refused, and why."""

from __future__ import annotations

from typing import Any

import pytest

from app.backend.protocol import ChatMessage
from app.server.api_errors import ApiError
from app.server.chat_request import parse_chat_request
from app.server.stop_strings import StopMatcher

HI = [{"role": "user", "content": "hi"}]


def parse(**body: Any):
    return parse_chat_request({"model": "m", "messages": HI, **body})


def parsed_messages(messages: list[dict[str, Any]]) -> tuple[ChatMessage, ...]:
    return parse_chat_request({"model": "m", "messages": messages}).request.messages


def refusal(**body: Any) -> ApiError:
    with pytest.raises(ApiError) as info:
        parse_chat_request({"model": "m", "messages": HI, **body})
    assert info.value.status == 400
    return info.value


def test_defaults_follow_qwen3s_template() -> None:
    call = parse()
    assert call.request.enable_thinking is True
    assert call.request.max_tokens is None and call.request.thinking_budget is None
    assert (call.stream, call.include_usage, call.stop) == (False, False, ())


def test_think_switch_and_options() -> None:
    call = parse(
        chat_template_kwargs={"enable_thinking": False, "other": 1},
        max_tokens=5,
        max_completion_tokens=7,
        stream=True,
        stream_options={"include_usage": True},
        stop=["a", "b", "a"],
        top_k=-1,
        thinking_budget=0,
    )
    assert call.request.enable_thinking is False
    assert call.request.max_tokens == 7  # max_completion_tokens wins over the older max_tokens
    assert call.stream and call.include_usage and call.stop == ("a", "b")
    assert call.request.sampling.top_k == 0  # vLLM's -1 ("off") is llama.cpp's 0
    assert parse(enable_thinking=False).request.enable_thinking is False


def test_messages_become_text_turns() -> None:
    messages = parsed_messages(
        [
            {"role": "developer", "content": "rules"},
            {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
            {"role": "assistant", "content": None, "reasoning_content": "thought"},
            {"role": "user", "content": "/no_think hi", "name": "me"},
        ]
    )
    assert messages == (
        ChatMessage("system", "rules"),
        ChatMessage("user", "a\nb"),
        ChatMessage("assistant", ""),
        ChatMessage("user", "/no_think hi"),  # Qwen3's soft switch reaches the model as written
    )


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": []}, "messages"),
        ({"messages": "hi"}, "messages"),
        ({"messages": [{"role": "user"}]}, "messages[0].content"),
        ({"messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
        ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0].tool_call_id"),
        ({"messages": [{"role": "function", "content": "x", "name": "f"}]}, "messages[0].role"),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
            "messages[0].content[0].type",
        ),
        ({"messages": [*HI, {"role": "assistant", "content": "pre"}]}, "messages"),
        (
            {"messages": [{"role": "assistant", "content": None, "tool_calls": [{"id": "1"}]}, *HI]},
            "messages[0].tool_calls[0].function",
        ),
        ({"model": ""}, "model"),
        ({"tools": [{"type": "function", "function": {"name": "f g"}}]}, "tools[0].function.name"),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"tool_choice": {"type": "function", "function": {"name": "f"}}}, "tool_choice"),
        ({"functions": [{"name": "f"}]}, "functions"),
        ({"n": 2}, "n"),
        ({"logprobs": True}, "logprobs"),
        ({"top_logprobs": 2}, "top_logprobs"),
        ({"logit_bias": {"1": 5}}, "logit_bias"),
        ({"frequency_penalty": 0.5}, "frequency_penalty"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"stop": [""]}, "stop"),
        ({"stop": 3}, "stop"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_completion_tokens": 1.5}, "max_completion_tokens"),
        ({"thinking_budget": -1}, "thinking_budget"),
        ({"temperature": "hot"}, "temperature"),
        ({"temperature": 0}, "temperature"),  # greedy thinking: refused, as by the engine
        ({"top_p": 0}, "top_p"),
        ({"top_k": -5}, "top_k"),
        ({"min_p": 2}, "min_p"),
        ({"presence_penalty": 3}, "presence_penalty"),
        ({"seed": -1}, "seed"),
        ({"stream": "yes"}, "stream"),
        ({"stream_options": {"include_usage": 1}}, "stream_options.include_usage"),
        ({"chat_template_kwargs": {"enable_thinking": "no"}}, "chat_template_kwargs.enable_thinking"),
        ({"chat_template_kwargs": []}, "chat_template_kwargs"),
    ],
)
def test_refusals_name_the_parameter(body: dict[str, Any], param: str) -> None:
    assert refusal(**body).param == param


def test_greedy_is_fine_without_thinking_and_text_format_is_fine() -> None:
    call = parse(
        temperature=0, chat_template_kwargs={"enable_thinking": False}, response_format={"type": "text"}
    )
    assert call.request.sampling.temperature == 0
    assert parse(tools=[], tool_choice="none", n=1, logprobs=False).stream is False


def test_the_body_must_be_an_object() -> None:
    with pytest.raises(ApiError):
        parse_chat_request(["not", "an", "object"])


def test_stop_matcher_holds_back_a_possible_start() -> None:
    m = StopMatcher(["END", "xy"])
    assert m.feed("abcE") == "abc"  # "E" could begin "END"
    assert m.feed("N") == ""
    assert m.feed("Dmore") == ""
    assert m.stopped and m.feed("later") == "" and m.flush() == ""
    m = StopMatcher(["END"])
    assert m.feed("fine E") == "fine "
    assert m.feed("ND!") == "" and m.stopped
    m = StopMatcher(["END"])
    assert m.feed("so E") == "so "
    assert m.flush() == "E"  # the end came first: it was text after all
    assert StopMatcher([]).feed("x") == "x"


def test_stop_matcher_takes_the_earliest_stop() -> None:
    m = StopMatcher(["cd", "b"])
    assert m.feed("abcd") == "a"
