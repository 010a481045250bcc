"""The checks every engine makes of a GenerationRequest before anything is sent, in the same words.

The local engine and a remote server must refuse the same requests with the same messages, so
the window and the CLI say the same thing whichever one answers.
"""

from __future__ import annotations

from app.backend.errors import InvalidRequestError
from app.backend.protocol import GenerationRequest, SamplingParams
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
