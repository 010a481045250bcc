"""One chat completion on the engine: reasoning and answer pieces, then how it finished.

Stop strings end the answer: the engine is cancelled and its ``Done`` (with the
token counts) is still read, so the usage is right. Closing the iterator early
(the client went away) closes the engine's generator, which stops the worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass

from app.backend.engine import Engine
from app.backend.protocol import Answer, Done, Notice, Reasoning
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
class Finish:
    finish_reason: str  # "stop" | "length"
    done: Done


def finish_reason(done: Done, stopped: bool) -> str:
    """OpenAI has stop and length; a thinking budget that ran out still ends in an answer (stop)."""
    return "length" if done.finish_reason == "length" and not stopped else "stop"


def run_completion(
    engine: Engine, call: ChatCall, cancel: Callable[[], object]
) -> Generator[Delta | Finish, None, None]:
    """Stream ``call`` on ``engine`` (held by the caller); ``cancel`` stops only this generation."""
    stops = StopMatcher(call.stop)
    events = engine.generate(call.request)
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
            elif isinstance(ev, Notice):
                log.warning("engine notice: %s", ev.text)
            elif isinstance(ev, Done):
                tail = stops.flush()
                if tail:
                    yield Delta(CONTENT, tail)
                yield Finish(finish_reason(ev, stops.stopped), ev)
                return
    finally:
        close = getattr(events, "close", None)  # a generator: closing it stops the worker's turn
        if close is not None:
            close()
