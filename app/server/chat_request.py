"""``POST /v1/chat/completions`` bodies → a :class:`GenerationRequest` and the call's options.

Pure parsing and validation: everything is checked before the request waits
for the engine, and every refusal names the parameter. Tools and tool turns are
parsed by :mod:`app.server.tool_request`. Features a local Qwen3 text model
cannot honour here (forced tool calls, images, several choices, logprobs,
structured output) are refused, not silently ignored; unknown extras are
ignored, as OpenAI-compatible servers do.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from app.backend.errors import InvalidRequestError
from app.backend.protocol import ChatMessage, GenerationRequest, Sampling
from app.backend.sampling import resolve
from app.server.api_errors import bad, shown, unsupported
from app.server.tool_request import parse_tool_calls, parse_tools, tool_message

MAX_STOP_STRINGS = 4
ROLE_ALIASES = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
}
MAX_INT = 2**63 - 1


@dataclass(frozen=True)
class ChatCall:
    """One chat completion as asked: the engine request plus what shapes the response."""

    model: str
    request: GenerationRequest
    stream: bool = False
    include_usage: bool = False
    stop: tuple[str, ...] = ()
    parallel_tool_calls: bool = True  # False: at most one call is returned (OpenAI's meaning)


def _number(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad(f"{name} must be a number (got {shown(value)}).", name)
    if (isinstance(value, int) and abs(value) > MAX_INT) or not math.isfinite(value):
        raise bad(f"{name} must be a finite number (got {shown(value)}).", name)
    return float(value)


def _integer(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad(f"{name} must be an integer (got {shown(value)}).", name)
    if abs(value) > MAX_INT:
        raise bad(f"{name} is out of range (got {shown(value)}).", name)
    return value


def _boolean(body: dict[str, Any], name: str, label: str | None = None) -> bool | None:
    value = body.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise bad(f"{label or name} must be true or false (got {shown(value)}).", label or name)


def _object(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad(f"{name} must be an object (got {shown(value)}).", name)
    return value


def parse_chat_request(body: object) -> ChatCall:
    """Validate a decoded JSON body; raises :class:`ApiError` (400) naming the parameter."""
    if not isinstance(body, dict):
        raise bad("The request body must be a JSON object.", None)
    _refuse_unsupported(body)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad("model is required: the id GET /v1/models lists.", "model")
    tools = parse_tools(body)
    messages = parse_messages(body.get("messages"))
    enable_thinking = _thinking_switch(body)
    sampling = _sampling(body, enable_thinking)
    max_tokens = _integer(body, "max_completion_tokens")
    limit_name = "max_completion_tokens"
    if max_tokens is None:
        max_tokens, limit_name = _integer(body, "max_tokens"), "max_tokens"
    if max_tokens is not None and max_tokens < 1:
        raise bad(f"{limit_name} must be at least 1 (got {max_tokens}).", limit_name)
    budget = _integer(body, "thinking_budget")
    if budget is not None and budget < 0:
        raise bad(f"thinking_budget must be 0 or more reasoning tokens (got {budget}).", "thinking_budget")
    stream = bool(_boolean(body, "stream"))
    options = _object(body, "stream_options")
    include_usage = bool(_boolean(options, "include_usage", "stream_options.include_usage"))
    request = GenerationRequest(
        messages=messages,
        enable_thinking=enable_thinking,
        thinking_budget=budget,
        max_tokens=max_tokens,
        sampling=sampling,
        tools=tools,
    )
    return ChatCall(
        model=model,
        request=request,
        stream=stream,
        include_usage=include_usage,
        stop=_stop(body),
        parallel_tool_calls=_boolean(body, "parallel_tool_calls") is not False,
    )


def _refuse_unsupported(body: dict[str, Any]) -> None:
    n = body.get("n")
    if n is not None and n != 1:
        raise unsupported("n", "it generates one choice per request (n=1).")
    for legacy in ("functions", "function_call"):
        if body.get(legacy):
            raise unsupported(legacy, "this is the deprecated form: send tools (and tool_choice).")
    if body.get("logprobs"):
        raise unsupported("logprobs", "log probabilities are not reported.")
    if body.get("top_logprobs"):
        raise unsupported("top_logprobs", "log probabilities are not reported.")
    if body.get("logit_bias"):
        raise unsupported("logit_bias", "token biases are not applied.")
    if body.get("frequency_penalty"):
        raise unsupported("frequency_penalty", "use presence_penalty (Qwen suggests up to 1.5).")
    fmt = body.get("response_format")
    if fmt is not None and not (isinstance(fmt, dict) and fmt.get("type") == "text"):
        raise unsupported("response_format", "only plain text answers ({'type': 'text'}).")


def parse_messages(value: object) -> tuple[ChatMessage, ...]:
    """System, user, assistant (with its tool calls) and tool turns; reasoning a client sends back is
    dropped."""
    if not isinstance(value, list) or not value:
        raise bad("messages must be a non-empty list of {role, content} objects.", "messages")
    out = []
    names: dict[str, str] = {}  # tool call id → name, for tool turns that do not say it
    for i, item in enumerate(value):
        where = f"messages[{i}]"
        if not isinstance(item, dict):
            raise bad(f"{where} must be an object with role and content.", where)
        role = item.get("role")
        if role == "function":
            raise unsupported(f"{where}.role", "'function' is the deprecated form: send 'tool' messages.")
        if not isinstance(role, str) or role not in ROLE_ALIASES:
            raise bad(
                f"{where}.role must be system, user, assistant or tool (got {shown(role)}).", f"{where}.role"
            )
        if role == "assistant" and item.get("function_call"):
            raise unsupported(f"{where}.function_call", "the deprecated form: send tool_calls.")
        content = _content(item.get("content"), role, where)
        if role == "tool":
            out.append(tool_message(item, content, where, names))
            continue
        calls = parse_tool_calls(item.get("tool_calls"), where) if role == "assistant" else ()
        names.update((call.id, call.name) for call in calls)
        out.append(ChatMessage(ROLE_ALIASES[role], content, tool_calls=calls))
    if out[-1].role not in ("user", "tool"):
        raise bad(
            "The last message must be the user's or a tool result: the server answers it (assistant "
            "prefill is not supported).",
            "messages",
        )
    return tuple(out)


def _content(value: object, role: str, where: str) -> str:
    if isinstance(value, str):
        return value
    if value is None and role == "assistant":
        return ""
    if not isinstance(value, list):
        raise bad(f"{where}.content must be a string or a list of text parts.", f"{where}.content")
    texts = []
    for j, part in enumerate(value):
        at = f"{where}.content[{j}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind != "text":
            raise unsupported(
                f"{at}.type", f"only text parts are accepted (got {shown(kind)}); the model reads text only."
            )
        text = part.get("text")
        if not isinstance(text, str):
            raise bad(f"{at}.text must be a string.", f"{at}.text")
        texts.append(text)
    return "\n".join(texts)


def _thinking_switch(body: dict[str, Any]) -> bool:
    """``chat_template_kwargs.enable_thinking`` as vLLM and SGLang take it (a top-level one also)."""
    kwargs = _object(body, "chat_template_kwargs")
    value = _boolean(kwargs, "enable_thinking", "chat_template_kwargs.enable_thinking")
    if value is None:
        value = _boolean(body, "enable_thinking")
    return True if value is None else value  # Qwen3's template thinks unless told not to


SAMPLING_FIELDS = ("temperature", "top_p", "top_k", "min_p", "presence_penalty", "seed")


def _sampling(body: dict[str, Any], enable_thinking: bool) -> Sampling:
    top_k = _integer(body, "top_k")
    sampling = Sampling(
        temperature=_number(body, "temperature"),
        top_p=_number(body, "top_p"),
        top_k=0 if top_k == -1 else top_k,  # vLLM's "off" is -1, llama.cpp's is 0
        min_p=_number(body, "min_p"),
        presence_penalty=_number(body, "presence_penalty"),
        seed=_integer(body, "seed"),
    )
    # The engine's own checks, one value at a time so the refusal names its parameter.
    for name in SAMPLING_FIELDS:
        value = getattr(sampling, name)
        if value is None:
            continue
        try:
            resolve(dataclasses.replace(Sampling(), **{name: value}), enable_thinking)
        except InvalidRequestError as exc:
            raise bad(exc.message, name) from None
    return sampling


def _stop(body: dict[str, Any]) -> tuple[str, ...]:
    value = body.get("stop")
    if value is None:
        return ()
    stops = [value] if isinstance(value, str) else value
    if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops):
        raise bad("stop must be a non-empty string or a list of them.", "stop")
    if len(stops) > MAX_STOP_STRINGS:
        raise bad(f"stop takes at most {MAX_STOP_STRINGS} strings (got {len(stops)}).", "stop")
    return tuple(dict.fromkeys(stops))
