"""A context's prompt, read a batch at a time, and its KV state taken out and put back (in the worker).

llama-cpp-python's ``Llama`` tracks what its context holds (``n_tokens``, ``input_ids``) beside
llama.cpp's own memory; these functions keep the two in step, so its ``generate`` sees a restored or
partly read prompt as a prefix it can reuse.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable, Sequence
from typing import Any

from app.backend.protocol import PromptProgress

log = logging.getLogger("qwendesk.worker.states")
# Prompts this short are read in a blink: no progress events (they would only be noise for callers).
PROGRESS_MIN_TOKENS = 64


def read_prompt(
    llm: Any,
    prompt: Sequence[int],
    reused: int,
    send: Callable[[PromptProgress], None],
    cancelled: Callable[[], bool],
) -> str | None:
    """Evaluate ``prompt`` from ``reused`` on but its last token (generate takes that one) a batch at a
    time, reporting each batch; "cancelled" when Stop came meanwhile (what was read stays read)."""
    if llm.n_tokens > reused:
        llm.n_tokens = reused  # eval drops the context from here on
    total = len(prompt) - reused
    step = max(1, int(llm.n_batch))
    report = total >= PROGRESS_MIN_TOKENS
    if report:
        send(PromptProgress(0, total, reused))
    last = len(prompt) - 1
    for start in range(reused, last, step):
        if cancelled():
            return "cancelled"
        end = min(start + step, last)
        try:
            llm.eval(list(prompt[start:end]))
        except RuntimeError as exc:  # the abort callback stopped llama_decode, or a real failure
            if cancelled():
                return "cancelled"
            raise RuntimeError(f"llama.cpp failed while reading the prompt: {exc}") from exc
        if report:  # the last token, read with the first sample, counts as read with the last batch
            send(PromptProgress(end - reused + (end == last), total, reused))
    return None


def restore_state(llm: Any, lc: Any, tokens: Sequence[int], data: bytearray) -> bool:
    """Put a sequence state for ``tokens`` into the context; False (the context left empty) when
    llama.cpp refuses it."""
    ctx = llm._ctx.ctx
    llm._ctx.kv_cache_clear()
    llm.n_tokens = 0
    buf = (ctypes.c_uint8 * len(data)).from_buffer(data)
    read = lc.llama_state_seq_set_data(ctx, buf, len(data), 0)
    if read != len(data) or lc.llama_memory_seq_pos_max(lc.llama_get_memory(ctx), 0) != len(tokens) - 1:
        llm._ctx.kv_cache_clear()
        return False
    llm.input_ids[: len(tokens)] = tokens
    llm.n_tokens = len(tokens)
    llm._requires_eval = True  # the logits are not restored: generate evaluates at least one token
    return True


def take_state(llm: Any, lc: Any, most: int | None) -> bytearray | None:
    """A copy of the context's sequence state (None: empty, over ``most`` bytes, or not given whole)."""
    ctx = llm._ctx.ctx
    size = int(lc.llama_state_seq_get_size(ctx, 0))
    if size <= 0 or (most is not None and size > most):
        return None
    data = bytearray(size)
    written = lc.llama_state_seq_get_data(ctx, (ctypes.c_uint8 * size).from_buffer(data), size, 0)
    if written != size:
        log.warning("llama.cpp gave %s of %s state bytes; not kept", written, size)
        return None
    return data
