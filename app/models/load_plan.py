"""How to load a model: context, YaRN only when needed, threads, GPU, KV cache.

The original Qwen3 models were trained on 40,960 positions (``max_position_embeddings``,
which the official GGUFs carry as ``qwen3.context_length``): contexts up to there run
without rope scaling. Beyond it the model cards enable YaRN over an original context of
32,768 (not 40,960), which llama.cpp implements statically (it can hurt short texts), so
it is switched on only for a context that needs it, with the smallest integer factor
that reaches it, never beyond 131,072. Qwen3-0.6B and 1.7B stop at 40,960.

The 2507 generation says ``qwen3.context_length = 262144`` (rope base 5,000,000): that is
its native context, with no YaRN anywhere below it. Some community GGUFs carry YaRN ×4 in
their metadata for 131K: when the loaded context needs no scaling they are loaded with
rope scaling forced off (the worker always names the rope scaling type), so short chats
keep full quality.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace

from app.backend.errors import InvalidRequestError, UnsupportedContextError
from app.models.gguf_file import GGUFInfo

QWEN3_NATIVE_CTX = 32_768  # YaRN's original context for Qwen3
QWEN3_TRAINED_CTX = 40_960  # max_position_embeddings: no scaling needed up to here
QWEN3_MAX_YARN_CTX = 131_072
DEFAULT_CTX = 16_384
# Qwen3 sizes whose model cards offer no YaRN, by GGUF size label.
QWEN3_NO_YARN_LABELS = frozenset({"0.6B", "1.7B"})
KV_CACHE_TYPES = {"f16": 1, "q8_0": 8, "q4_0": 2}  # name -> GGML type id


@dataclass(frozen=True)
class LoadPlan:
    """Everything the worker passes to ``llama_cpp.Llama`` for one model."""

    model_path: str
    n_ctx: int
    native_ctx: int  # the longest context that runs without rope scaling
    max_ctx: int
    yarn_factor: int | None  # None: no rope scaling (also when the file's metadata asks for it)
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


def file_yarn(info: GGUFInfo) -> tuple[int, int] | None:
    """(factor, original context) when the GGUF's metadata turns YaRN on (e.g. "128K" GGUFs)."""
    if info.rope_scaling_type == "yarn" and info.rope_scaling_orig_ctx and info.rope_scaling_factor:
        return int(info.rope_scaling_factor), int(info.rope_scaling_orig_ctx)
    return None


def yarn_base(info: GGUFInfo) -> int:
    """The original context YaRN's factor multiplies (32,768 for Qwen3, not the 40,960 it says)."""
    from_file = file_yarn(info)
    if from_file is not None:
        return from_file[1]
    return QWEN3_NATIVE_CTX if info.is_qwen3 else (info.context_length or 4096)


def context_limits(info: GGUFInfo) -> tuple[int, int]:
    """(longest context without rope scaling, longest the model supports) from its metadata."""
    trained = info.context_length or 0
    yarn = file_yarn(info)
    if yarn is not None:
        factor, orig = yarn
        unscaled = QWEN3_TRAINED_CTX if info.is_qwen3 and orig == QWEN3_NATIVE_CTX else orig
        return unscaled, max(unscaled, factor * orig)
    if not info.is_qwen3:
        return trained or 4096, trained or 4096
    if trained > QWEN3_TRAINED_CTX:  # the 2507 generation: 262,144 natively
        return trained, trained
    unscaled = trained if trained >= QWEN3_NATIVE_CTX else QWEN3_TRAINED_CTX
    if info.size_label in QWEN3_NO_YARN_LABELS:
        return unscaled, unscaled
    return unscaled, QWEN3_MAX_YARN_CTX


def default_threads() -> int:
    """The physical core count, as llama.cpp itself defaults: hyper-threads add nothing to its
    matrix kernels, but a core left idle halves the speed (2 cores, 1 thread each: 22.6 vs
    30.5 tokens/s decode, 80 vs 150 tokens/s prompt reading). Prompt reading uses it too."""
    import psutil

    return max(1, psutil.cpu_count(logical=False) or os.cpu_count() or 1)


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
    base = yarn_base(info)
    if ctx > native:
        if max_ctx <= native:
            what = f"{info.name or info.path.name}"
            hint = " Use a larger Qwen3 (4B or more) for long contexts." if info.is_qwen3 else ""
            raise UnsupportedContextError(
                f"{what} is a {native:,}-token model; it does not support a longer context "
                f"(asked for {ctx:,}).{hint}"
            )
        if ctx > max_ctx:
            raise UnsupportedContextError(
                f"A context of {ctx:,} tokens is beyond what this model supports with YaRN ({max_ctx:,})."
            )
        yarn_factor = math.ceil(ctx / base)
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
        yarn_orig_ctx=base if yarn_factor else None,
        n_threads=threads,
        n_gpu_layers=gpu_layers,
        flash_attn=bool(flash_attn),
        kv_cache_type=kv_cache_type,
        use_extra_bufts=use_extra_bufts,
    )


# Contexts offered when a conversation outgrows the loaded one: 40,960 is Qwen3's longest without
# scaling, then YaRN factors 2 and 4 (49,152 and 98,304 would need factors 2 and 3 anyway, so they
# are skipped); 262,144 is the 2507 generation's native context.
CONTEXT_STEPS = (4096, 8192, 16_384, 32_768, 40_960, 65_536, 131_072, 262_144)
ANSWER_ROOM = 4096  # thinking and the answer need room after the prompt


def context_for(info: GGUFInfo, needed_tokens: int, *, room: int = ANSWER_ROOM) -> int:
    """The smallest offered context that holds ``needed_tokens`` plus room to answer.

    Raises UnsupportedContextError, naming the limit, when the model cannot get there
    (Qwen3-0.6B and 1.7B stop at 40,960; the other originals at 131,072 with YaRN; the 2507
    generation at 262,144).
    """
    _native, max_ctx = context_limits(info)
    want = needed_tokens + room
    for step in CONTEXT_STEPS:
        if want <= step <= max_ctx:
            return step
    if want <= max_ctx:
        return max_ctx
    name = info.name or info.path.name
    hint = " Larger Qwen3 models reach 131,072 tokens with YaRN." if max_ctx <= QWEN3_TRAINED_CTX else ""
    raise UnsupportedContextError(
        f"This conversation needs about {want:,} tokens of context; "
        f"{name} supports at most {max_ctx:,}.{hint}"
    )
