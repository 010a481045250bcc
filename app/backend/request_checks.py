"""The checks every engine makes of a GenerationRequest before anything is sent, in the same words.

The local engine and a remote server must refuse the same requests with the same messages, so
the window and the CLI say the same thing whichever one answers.
"""

from __future__ import annotations

import json

from app.backend.errors import ContextFullError, InvalidRequestError
from app.backend.protocol import ChatMessage, GenerationRequest, SamplingParams
from app.backend.sampling import resolve


def check_request(request: GenerationRequest) -> tuple[SamplingParams, int | None]:
    """The resolved sampling and the thinking budget that applies (None with thinking off)."""
    if not request.messages:
        raise InvalidRequestError("The conversation is empty.")
    if request.messages[-1].role not in ("user", "tool"):  # a tool result: the model goes on with it
        raise InvalidRequestError("The last message must be the user's (or a tool's result).")
    if request.max_tokens is not None and request.max_tokens < 1:
        raise InvalidRequestError(f"max tokens must be ≥ 1 (got {request.max_tokens}).")
    budget = request.thinking_budget if request.enable_thinking else None
    if budget is not None and budget < 0:
        raise InvalidRequestError(f"The thinking budget must be ≥ 0 (got {budget}).")
    return resolve(request.sampling, request.enable_thinking), budget


def refuse_what_cannot_fit(request: GenerationRequest, n_ctx: int, max_token_bytes: int) -> None:
    """A conversation whose text cannot fit the loaded context is refused before anything renders or
    tokenizes it: no token covers more than ``max_token_bytes`` bytes, so text of B bytes needs at
    least B / max_token_bytes tokens (a bound that holds for any text, so it never refuses one
    that fits; it makes a 13 MB request cost a length check instead of minutes)."""
    size = sum(len(_message_text(m).encode("utf-8", errors="replace")) for m in request.messages)
    size += sum(len(json.dumps(t, ensure_ascii=False, default=str).encode()) for t in request.tools)
    least = size // max(1, max_token_bytes)
    if least >= n_ctx:
        raise ContextFullError(
            f"The conversation is at least {least:,} tokens ({size:,} bytes of text) but the loaded "
            f"context holds {n_ctx:,}. Start a new conversation, shorten it, or reload with a longer "
            "context.",
            prompt_tokens=least,
            n_ctx=n_ctx,
        )


def _message_text(m: ChatMessage) -> str:
    """A message's text that surely reaches the prompt: its content and its calls (not its reasoning,
    which the template drops outside the current tool turn: the bound must never refuse what fits)."""
    calls = "".join(c.name + json.dumps(c.arguments, ensure_ascii=False, default=str) for c in m.tool_calls)
    return m.content + calls
