"""What a person chose for loading one model, and how that becomes engine arguments.

Kept apart from ``LoadPlan`` (which is derived, per load, from the GGUF and the
llama.cpp build): these are the user's wishes, stored per model file, where
None means "let QwenDesk decide" — the default context, and GPU layers from the
fit estimate rather than "all of them", which would fail on a GPU too small for
the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from app.backend.errors import EngineError
from app.models import fit
from app.models.gguf_file import GGUFInfo, read_gguf_info
from app.models.load_plan import DEFAULT_CTX, KV_CACHE_TYPES, context_limits
from app.models.machine import Machine

LOADABLE_KV_TYPES = ("f16", "q8_0")  # offered in the UI; q4_0 costs Qwen3 too much quality


@dataclass(frozen=True)
class LoadOptions:
    n_ctx: int | None = None  # None: the plan's default (16K, or the native context if smaller)
    n_gpu_layers: int | None = None  # None: from the fit estimate
    kv_cache_type: str = "f16"
    flash_attn: bool | None = None  # None: on only where the KV type needs it
    n_threads: int | None = None  # None: the physical cores (load_plan.default_threads)

    @classmethod
    def from_dict(cls, data: object) -> LoadOptions:
        """Read stored options, dropping what is unknown or malformed (settings files get edited)."""
        if not isinstance(data, dict):
            return cls()
        out: dict[str, Any] = {}
        for f in fields(cls):
            value = data.get(f.name)
            if f.name == "kv_cache_type":
                if value in KV_CACHE_TYPES:
                    out[f.name] = value
            elif f.name == "flash_attn":
                if isinstance(value, bool):
                    out[f.name] = value
            elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                out[f.name] = value
        return cls(**out)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def with_context(self, n_ctx: int) -> LoadOptions:
        return replace(self, n_ctx=n_ctx)

    def engine_kwargs(self, info: GGUFInfo | None = None, machine: Machine | None = None) -> dict[str, Any]:
        """Keyword arguments for ``Engine.load``, with automatic GPU layers resolved."""
        kwargs: dict[str, Any] = {k: v for k, v in asdict(self).items() if v is not None}
        if self.n_gpu_layers is None and info is not None and machine is not None:
            layers = auto_gpu_layers(info, machine, self)
            if layers is not None:
                kwargs["n_gpu_layers"] = layers
        return kwargs


def engine_kwargs_for(path: str, options: LoadOptions, machine: Callable[[], Machine]) -> dict[str, Any]:
    """``options.engine_kwargs`` for the GGUF at ``path``, reading its header and the machine only when
    GPU layers are automatic (slow work: call it off the UI thread)."""
    if options.n_gpu_layers is not None:
        return options.engine_kwargs()
    try:
        info = read_gguf_info(path)
    except EngineError:
        return options.engine_kwargs()  # Engine.load reports the same problem, the usual way
    return options.engine_kwargs(info, machine())


def auto_gpu_layers(info: GGUFInfo, machine: Machine, options: LoadOptions) -> int | None:
    """Layers to offload as the fit estimate places them; None: all (or no GPU to ask about).

    A partial fit offloads the layers that fit and keeps the rest on the CPU, as
    LM Studio's "auto" does, instead of failing to allocate on the GPU.
    """
    if not machine.has_gpu_backend:
        return None
    est = estimate_for(info, machine, options)
    if est.verdict == "gpu":
        return info.block_count + 1  # the output layer too
    if est.verdict == "partial":
        return est.gpu_layers
    if est.verdict == "unknown":
        return None
    return 0


def estimate_for(info: GGUFInfo, machine: Machine, options: LoadOptions) -> fit.FitEstimate:
    native, _max = context_limits(info)
    n_ctx = options.n_ctx or min(native, DEFAULT_CTX)
    return fit.estimate(
        info, machine=machine, n_ctx=n_ctx, kv_cache=options.kv_cache_type, flash_attn=options.flash_attn
    )
