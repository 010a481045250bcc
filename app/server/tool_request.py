"""OpenAI function calling in requests: ``tools``, ``tool_choice`` and the tool turns of a history.

Tools reach the engine as OpenAI function objects (the model's own chat template renders them);
they are bounded here, before the request waits for the engine, because every tool is rendered
into every prompt. ``tool_choice`` is honoured only as far as the engine can: "auto" (the model
decides) and "none" (no tools are sent). Forcing a call would need constrained decoding, which
the engine does not do, so "required" and a named function are refused rather than pretended.
"""

from __future__ import annotations

import json
import re
from typing import Any

from app.backend.protocol import ChatMessage, ToolCallRequest
from app.server.api_errors import bad, shown, unsupported
from app.server.json_body import NOT_JSON, parse_arguments

MAX_TOOLS = 128  # as OpenAI
MAX_TOOL_NAME = 64  # as OpenAI
TOOL_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
MAX_TOOLS_BYTES = 256 * 1024  # the tools as JSON: rendered into every prompt of the conversation
TOOL_CHOICES = ("auto", "none")


def parse_tools(body: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """The tools to send the engine: none when absent, empty or ``tool_choice`` is "none"."""
    choice = body.get("tool_choice")
    _check_choice(choice)
    value = body.get("tools")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise bad('tools must be a list of {"type": "function", "function": {...}} objects.', "tools")
    if len(value) > MAX_TOOLS:
        raise bad(f"tools takes at most {MAX_TOOLS} tools (got {len(value)}).", "tools")
    size = len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
    if size > MAX_TOOLS_BYTES:
        raise bad(
            f"tools is {size:,} bytes as JSON; at most {MAX_TOOLS_BYTES:,} are accepted (every tool is "
            "part of every prompt).",
            "tools",
        )
    tools = []
    names: set[str] = set()
    for i, item in enumerate(value):
        tool = _tool(item, f"tools[{i}]")
        name = tool["function"]["name"]
        if name in names:
            raise bad(f"tools[{i}].function.name {name!r} is given twice.", f"tools[{i}].function.name")
        names.add(name)
        tools.append(tool)
    return () if choice == "none" else tuple(tools)


def _check_choice(choice: object) -> None:
    if choice is None or choice in TOOL_CHOICES:
        return
    if choice == "required" or isinstance(choice, dict):
        raise unsupported(
            "tool_choice",
            f"{shown(choice)} would force a call, which needs constrained decoding; "
            'only "auto" (the model decides) and "none" (no tools) are supported.',
        )
    raise bad(f'tool_choice must be "auto" or "none" (got {shown(choice)}).', "tool_choice")


def _tool(item: object, where: str) -> dict[str, Any]:
    """One tool, reduced to what the template renders: name, description, parameters."""
    if not isinstance(item, dict) or item.get("type") != "function":
        raise bad(f'{where} must be {{"type": "function", "function": {{...}}}}.', f"{where}.type")
    function = item.get("function")
    if not isinstance(function, dict):
        raise bad(f"{where}.function must be an object with a name.", f"{where}.function")
    name = function.get("name")
    at = f"{where}.function.name"
    if not isinstance(name, str) or not name:
        raise bad(f"{at} is required: a string.", at)
    if len(name) > MAX_TOOL_NAME or not TOOL_NAME.match(name):
        raise bad(
            f"{at} must be at most {MAX_TOOL_NAME} letters, digits, '_', '.' or '-' (got {shown(name)}).", at
        )
    out: dict[str, Any] = {"name": name}
    description = function.get("description")
    if description is not None:
        if not isinstance(description, str):
            raise bad(f"{where}.function.description must be a string.", f"{where}.function.description")
        out["description"] = description
    parameters = function.get("parameters")
    if parameters is not None:
        if not isinstance(parameters, dict):
            raise bad(
                f"{where}.function.parameters must be a JSON Schema object (got {shown(parameters)}).",
                f"{where}.function.parameters",
            )
        out["parameters"] = parameters
    return {"type": "function", "function": out}


def parse_tool_calls(value: object, where: str) -> tuple[ToolCallRequest, ...]:
    """An assistant turn's ``tool_calls`` as the client sends them back (arguments a JSON string).

    Arguments that are not a JSON object (a call the model garbled, returned as its raw text) are
    kept as the raw text with an error, so an agent can send back what it was given.
    """
    at = f"{where}.tool_calls"
    if value is None:
        return ()
    if not isinstance(value, list):
        raise bad(f"{at} must be a list of tool calls.", at)
    calls = []
    for j, item in enumerate(value):
        here = f"{at}[{j}]"
        if not isinstance(item, dict):
            raise bad(f'{here} must be {{"id", "type": "function", "function": {{...}}}}.', here)
        call_id = item.get("id")
        if not isinstance(call_id, str):
            raise bad(f"{here}.id must be a string (the id tool messages answer).", f"{here}.id")
        if item.get("type", "function") != "function":
            raise bad(f'{here}.type must be "function" (got {shown(item.get("type"))}).', f"{here}.type")
        function = item.get("function")
        if not isinstance(function, dict):
            raise bad(f"{here}.function must be an object with name and arguments.", f"{here}.function")
        name = function.get("name")
        if not isinstance(name, str):
            raise bad(f"{here}.function.name must be a string.", f"{here}.function.name")
        calls.append(_call(call_id, name, function.get("arguments"), f"{here}.function.arguments"))
    return tuple(calls)


def _call(call_id: str, name: str, arguments: object, at: str) -> ToolCallRequest:
    if arguments is None:
        return ToolCallRequest(id=call_id, name=name, arguments={})
    if isinstance(arguments, dict):  # not OpenAI's form, but unambiguous (checked with the body)
        return ToolCallRequest(id=call_id, name=name, arguments=arguments)
    if not isinstance(arguments, str):
        raise bad(f"{at} must be a JSON string (got {shown(arguments)}).", at)
    decoded = parse_arguments(arguments, at)
    if isinstance(decoded, dict):
        return ToolCallRequest(id=call_id, name=name, arguments=decoded, raw=arguments)
    why = "not JSON" if decoded is NOT_JSON else "JSON but not an object"
    return ToolCallRequest(
        id=call_id, name=name, arguments={}, raw=arguments, error=f"the arguments are {why}"
    )


def tool_message(item: dict[str, Any], content: str, where: str, names: dict[str, str]) -> ChatMessage:
    """A ``tool`` turn: a result for the call ``tool_call_id`` (its name found from that call)."""
    call_id = item.get("tool_call_id")
    if not isinstance(call_id, str):
        raise bad(
            f"{where}.tool_call_id is required: the id of the assistant's tool call this answers.",
            f"{where}.tool_call_id",
        )
    name = item.get("name")
    if name is not None and not isinstance(name, str):
        raise bad(f"{where}.name must be a string.", f"{where}.name")
    return ChatMessage("tool", content, tool_call_id=call_id, name=name or names.get(call_id))
