"""One chat completion on the engine: reasoning and answer pieces, then how it finished.

Stop strings end the answer: the engine is cancelled and its ``Done`` (with the
token counts) is still read, so the usage is right. Tool calls the engine parsed
from the answer come out whole, in order, as OpenAI ``tool_calls`` entries; one
it could not parse is still returned, with the model's raw text as its arguments. Closing the iterator early
(the client went away) closes the engine's generator, which stops the worker.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from app.backend.engine import Engine
from app.backend.protocol import Answer, Done, Notice, Reasoning, ToolCall, ToolCallRequest
from app.server.chat_request import ChatCall
from app.server.stop_strings import StopMatcher

log = logging.getLogger("qwendesk.server")

REASONING = "reasoning_content"
CONTENT = "content"


@dataclass(frozen=True)
class Delta:
    """A piece of text for one field of the message: ``reasoning_content`` or ``content``."""

    field: str
    text: str


@dataclass(frozen=True)
class CallDelta:
    """One whole tool call: its place among the answer's calls and its OpenAI ``tool_calls`` entry."""

    index: int
    call: dict[str, Any]


@dataclass(frozen=True)
class Finish:
    finish_reason: str  # "stop" | "length" | "tool_calls"
    done: Done


def finish_reason(done: Done, stopped: bool, called: bool = False) -> str:
    """OpenAI has stop, length and tool_calls; a thinking budget that ran out still ends in an
    answer (stop)."""
    if stopped:
        return "stop"
    if done.finish_reason == "length":
        return "length"
    return "tool_calls" if called or done.finish_reason == "tool_calls" else "stop"


def openai_tool_call(call: ToolCallRequest) -> dict[str, Any]:
    """``{"id", "type": "function", "function": {"name", "arguments"}}``, arguments a JSON string.

    The id is made here, unique like OpenAI's: the engine numbers calls within a turn only
    ("call_1" again in the next turn), and agent frameworks key results by id across a conversation.
    A call the engine could not parse keeps the model's raw text as its arguments: the client sees
    what the model wrote and decides (OpenAI's arguments are not always valid JSON either).
    """
    if call.error is not None and call.raw:
        arguments = call.raw
    else:
        arguments = json.dumps(call.arguments, ensure_ascii=False)
    return {
        "id": f"call_{uuid.uuid4().hex[:24]}",
        "type": "function",
        "function": {"name": call.name, "arguments": arguments},
    }


Item = Delta | CallDelta | Finish


def run_completion(
    engine: Engine, call: ChatCall, cancel: Callable[[], object]
) -> Generator[Item, None, None]:
    """Stream ``call`` on ``engine`` (held by the caller); ``cancel`` stops only this generation."""
    stops = StopMatcher(call.stop)
    events = engine.generate(call.request)
    calls = 0
    try:
        for ev in events:
            if isinstance(ev, Reasoning) and not stops.stopped:
                yield Delta(REASONING, ev.text)
            elif isinstance(ev, Answer) and not stops.stopped:
                text = stops.feed(ev.text)
                if text:
                    yield Delta(CONTENT, text)
                if stops.stopped:
                    cancel()  # keep reading: the engine's Done carries the counts
            elif isinstance(ev, ToolCall) and not stops.stopped:
                if calls and not call.parallel_tool_calls:
                    continue  # the client asked for one call at a time: the first one stands
                held = stops.flush()  # the text before the call is complete: not a stop string
                if held:
                    yield Delta(CONTENT, held)
                yield CallDelta(calls, openai_tool_call(ev.call))
                calls += 1
            elif isinstance(ev, Notice):
                log.warning("engine notice: %s", ev.text)
            elif isinstance(ev, Done):
                tail = stops.flush()
                if tail:
                    yield Delta(CONTENT, tail)
                yield Finish(finish_reason(ev, stops.stopped, calls > 0), ev)
                return
    finally:
        close = getattr(events, "close", None)  # a generator: closing it stops the worker's turn
        if close is not None:
            close()
