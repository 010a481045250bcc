"""The offer made when a conversation outgrows the loaded context: which context would hold it.

The window turns this into a "Reload with a 65,536-token context (YaRN ×2, KV cache 7.2 GiB)"
button; the reason there is none (the model's limit) is the exception's message.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.models import fit
from app.models.gguf_file import GGUFInfo
from app.models.load_plan import context_for, make_plan


@dataclass(frozen=True)
class LongerContext:
    n_ctx: int
    yarn_factor: float | None  # None: the model holds it natively
    kv_cache_gib: float


def longer_context(info: GGUFInfo, prompt_tokens: int, kv_cache_type: str) -> LongerContext:
    """The smallest offered context that holds ``prompt_tokens`` and an answer.

    Raises UnsupportedContextError (saying the model's limit) when there is none.
    """
    n_ctx = context_for(info, prompt_tokens)
    plan = make_plan(info, n_ctx=n_ctx)
    kv = fit.kv_cache_bytes(fit.shape_of(info), n_ctx, kv_cache_type)
    return LongerContext(n_ctx, plan.yarn_factor or None, kv / 2**30)
