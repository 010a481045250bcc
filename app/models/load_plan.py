"""How to load a model: context, YaRN only when needed, threads, GPU, KV cache.

Qwen3's native context is 32,768 tokens. Beyond it the model cards enable YaRN
rope scaling, which llama.cpp implements statically (it can hurt short texts),
so it is switched on only for a context that needs it, with the smallest
integer factor that reaches it, never beyond 131,072. Qwen3-0.6B and 1.7B are
32K models and are refused a longer context.

The official GGUFs say ``qwen3.context_length = 40960`` (32K output + 8K
prompt); that is not the YaRN original context: 32,768 is.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace

from app.backend.errors import InvalidRequestError, UnsupportedContextError
from app.models.gguf_file import GGUFInfo

QWEN3_NATIVE_CTX = 32_768
QWEN3_MAX_YARN_CTX = 131_072
DEFAULT_CTX = 16_384
# Qwen3 sizes whose model cards stop at 32K (no YaRN), by GGUF size label.
QWEN3_32K_ONLY_LABELS = frozenset({"0.6B", "1.7B"})
KV_CACHE_TYPES = {"f16": 1, "q8_0": 8, "q4_0": 2}  # name -> GGML type id


@dataclass(frozen=True)
class LoadPlan:
    """Everything the worker passes to ``llama_cpp.Llama`` for one model."""

    model_path: str
    n_ctx: int
    native_ctx: int
    max_ctx: int
    yarn_factor: int | None  # None: no rope scaling
    yarn_orig_ctx: int | None
    n_threads: int
    n_gpu_layers: int
    flash_attn: bool
    kv_cache_type: str
    use_extra_bufts: bool = True  # False works around llama.cpp #20824 (AMX crash)

    @property
    def rope_freq_scale(self) -> float:
        return 1.0 / self.yarn_factor if self.yarn_factor else 0.0

    def with_extra_bufts(self, enabled: bool) -> LoadPlan:
        return replace(self, use_extra_bufts=enabled)

    def describe(self) -> str:
        ctx = f"context {self.n_ctx:,}"
        if self.yarn_factor:
            ctx += f" (YaRN ×{self.yarn_factor} over {self.yarn_orig_ctx:,})"
        gpu = f"{self.n_gpu_layers} GPU layers" if self.n_gpu_layers else "CPU only"
        return f"{ctx}, {self.n_threads} threads, {gpu}, KV cache {self.kv_cache_type}"


def context_limits(info: GGUFInfo) -> tuple[int, int]:
    """(native context, largest context the model is meant for) from its metadata."""
    if info.rope_scaling_type == "yarn" and info.rope_scaling_orig_ctx and info.rope_scaling_factor:
        # e.g. "128K" GGUFs that carry their YaRN settings already
        native = int(info.rope_scaling_orig_ctx)
        return native, int(native * info.rope_scaling_factor)
    if info.is_qwen3:
        if info.size_label in QWEN3_32K_ONLY_LABELS:
            return QWEN3_NATIVE_CTX, QWEN3_NATIVE_CTX
        return QWEN3_NATIVE_CTX, QWEN3_MAX_YARN_CTX
    native = info.context_length or 4096
    return native, native


def default_threads() -> int:
    """Physical-ish cores: llama.cpp gains nothing from hyper-threads."""
    return max(1, (os.cpu_count() or 2) // 2)


def make_plan(
    info: GGUFInfo,
    *,
    n_ctx: int | None = None,
    n_threads: int | None = None,
    n_gpu_layers: int | None = None,
    flash_attn: bool | None = None,
    kv_cache_type: str = "f16",
    gpu_offload_supported: bool = False,
    use_extra_bufts: bool = True,
) -> LoadPlan:
    """Build the plan for ``info`` at context ``n_ctx`` (default: min(native, 16K))."""
    native, max_ctx = context_limits(info)
    ctx = n_ctx if n_ctx is not None else min(native, DEFAULT_CTX)
    if ctx < 256:
        raise InvalidRequestError(f"A context of {ctx} tokens is too small (minimum 256).")
    yarn_factor: int | None = None
    if ctx > native:
        if max_ctx <= native:
            what = f"{info.name or info.path.name}"
            raise UnsupportedContextError(
                f"{what} is a {native:,}-token model; its card does not support a longer context "
                f"(asked for {ctx:,}). Use a larger Qwen3 (4B or more) for long contexts."
            )
        if ctx > max_ctx:
            raise UnsupportedContextError(
                f"A context of {ctx:,} tokens is beyond what this model supports with YaRN ({max_ctx:,})."
            )
        yarn_factor = math.ceil(ctx / native)
    if kv_cache_type not in KV_CACHE_TYPES:
        raise InvalidRequestError(
            f"Unknown KV-cache type {kv_cache_type!r}; choose one of {', '.join(KV_CACHE_TYPES)}."
        )
    if kv_cache_type != "f16":
        if flash_attn is False:
            raise InvalidRequestError("A quantized KV cache needs flash attention; do not turn it off.")
        flash_attn = True
    threads = n_threads if n_threads is not None else default_threads()
    if threads < 1:
        raise InvalidRequestError(f"threads must be ≥ 1 (got {threads}).")
    if not gpu_offload_supported:
        gpu_layers = 0
    elif n_gpu_layers is None or n_gpu_layers < 0:
        gpu_layers = info.block_count + 1  # everything, output layer included
    else:
        gpu_layers = n_gpu_layers
    return LoadPlan(
        model_path=str(info.path),
        n_ctx=ctx,
        native_ctx=native,
        max_ctx=max_ctx,
        yarn_factor=yarn_factor,
        yarn_orig_ctx=native if yarn_factor else None,
        n_threads=threads,
        n_gpu_layers=gpu_layers,
        flash_attn=bool(flash_attn),
        kv_cache_type=kv_cache_type,
        use_extra_bufts=use_extra_bufts,
    )


# Contexts offered when a conversation outgrows the loaded one (YaRN factors 2 and 4 beyond 32K;
# 49,152 and 98,304 would need factors 2 and 3 anyway, so they are skipped).
CONTEXT_STEPS = (4096, 8192, 16_384, 32_768, 65_536, 131_072)
ANSWER_ROOM = 4096  # thinking and the answer need room after the prompt


def context_for(info: GGUFInfo, needed_tokens: int, *, room: int = ANSWER_ROOM) -> int:
    """The smallest offered context that holds ``needed_tokens`` plus room to answer.

    Raises UnsupportedContextError, naming the limit, when the model cannot get there
    (Qwen3-0.6B and 1.7B stop at 32K; the others at 131,072 with YaRN).
    """
    _native, max_ctx = context_limits(info)
    want = needed_tokens + room
    for step in CONTEXT_STEPS:
        if want <= step <= max_ctx:
            return step
    if want <= max_ctx:
        return max_ctx
    name = info.name or info.path.name
    hint = " Larger Qwen3 models reach 131,072 tokens with YaRN." if max_ctx <= QWEN3_NATIVE_CTX else ""
    raise UnsupportedContextError(
        f"This conversation needs about {want:,} tokens of context; "
        f"{name} supports at most {max_ctx:,}.{hint}"
    )
