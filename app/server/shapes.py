"""The JSON the API answers with, shaped like OpenAI's and vLLM's.

Reasoning goes in ``reasoning_content`` (message and stream deltas), apart
from ``content``, as vLLM's reasoning parsers do; clients that do not know the
field simply see the answer. Tool calls are OpenAI's ``tool_calls``: whole in the
message, and one whole call per ``delta.tool_calls`` chunk when streaming (its
``index``, ``id``, ``type``, name and complete arguments), which OpenAI's
clients accumulate like fragments.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.backend.engine import Engine
from app.backend.protocol import Done

OWNED_BY = "qwendesk"
SPLIT_PART = re.compile(r"^(?P<stem>.*)-\d{5}-of-\d{5}$")  # Qwen3-235B-A22B-Q4_K_M-00001-of-00005


@dataclass(frozen=True)
class ServedModel:
    """The model the engine has loaded, as ``/v1/models`` shows it."""

    id: str
    created: int
    max_model_len: int

    def card(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "model",
            "created": self.created,
            "owned_by": OWNED_BY,
            "max_model_len": self.max_model_len,
        }


def model_id(path: Path) -> str:
    """The GGUF's file name without ``.gguf`` (and without a split model's ``-00001-of-0000N``)."""
    split = SPLIT_PART.match(path.stem)
    return split["stem"] if split else path.stem


def served_model(engine: Engine) -> ServedModel | None:
    """What is loaded now, or None; read without taking the engine (a load may be under way), from
    one snapshot, so the file and its context always belong to the same load."""
    loaded = engine.loaded_model
    if loaded is None:
        return None
    path = loaded.info.path
    try:
        created = int(path.stat().st_mtime)
    except OSError:
        created = 0
    return ServedModel(id=model_id(path), created=created, max_model_len=loaded.plan.n_ctx)


def model_list(model: ServedModel | None) -> dict[str, Any]:
    return {"object": "list", "data": [model.card()] if model else []}


def usage(done: Done) -> dict[str, Any]:
    return {
        "prompt_tokens": done.prompt_tokens,
        "completion_tokens": done.completion_tokens,
        "total_tokens": done.prompt_tokens + done.completion_tokens,
        "completion_tokens_details": {"reasoning_tokens": done.reasoning_tokens},
        # OpenAI's prompt-caching field: tokens not read again (the warm context or a kept state)
        "prompt_tokens_details": {"cached_tokens": done.prompt_tokens - done.evaluated_prompt_tokens},
    }


class Completion:
    """One response's identity: every chunk of a stream carries the same id, created and model."""

    def __init__(self, model: str) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.model = model

    def _head(self, obj: str) -> dict[str, Any]:
        return {"id": self.id, "object": obj, "created": self.created, "model": self.model}

    def message(
        self,
        content: str,
        reasoning: str | None,
        finish_reason: str,
        done: Done,
        tool_calls: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """The whole answer (``stream: false``); with tool calls, empty content is null, as OpenAI's."""
        message: dict[str, Any] = {"role": "assistant", "content": content, "reasoning_content": reasoning}
        if tool_calls:
            message["content"] = content or None
            message["tool_calls"] = tool_calls
        return {
            **self._head("chat.completion"),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": usage(done),
        }

    def chunk(
        self, delta: dict[str, Any], finish_reason: str | None = None, *, with_usage: bool = False
    ) -> dict[str, Any]:
        """One streamed piece; ``usage: null`` on every chunk when the client asked for usage."""
        out = {
            **self._head("chat.completion.chunk"),
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        }
        if with_usage:
            out["usage"] = None
        return out

    def usage_chunk(self, done: Done) -> dict[str, Any]:
        """The last chunk when ``stream_options.include_usage``: no choices, the counts."""
        return {**self._head("chat.completion.chunk"), "choices": [], "usage": usage(done)}
