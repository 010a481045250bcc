"""GPU layers for ``qwendesk chat`` and ``qwendesk serve``: from the fit estimate, as the window does.

Offloading every layer on a GPU build is an out-of-memory crash on a laptop GPU for 14B and
larger, so without ``--gpu-layers`` the CLI places as many layers as the fit estimate says fit
(``app.models.load_options.auto_gpu_layers``: all, some, or none), and ``--verbose`` says what
it chose and why. ``--gpu-layers N`` always wins.
"""

from __future__ import annotations

import logging
from typing import Any

from app.backend.engine import Engine, LoadReport
from app.backend.errors import EngineError
from app.models.gguf_file import read_gguf_info
from app.models.load_options import LoadOptions, auto_gpu_layers, estimate_for
from app.models.locate import resolve_model
from app.models.machine import probe_machine

log = logging.getLogger("qwendesk.cli")


def choose_gpu_layers(
    engine: Engine,
    model_path: str,
    *,
    gpu_layers: int | None,
    n_ctx: int | None,
    kv_cache_type: str,
    n_threads: int | None = None,
) -> int | None:
    """``n_gpu_layers`` for ``Engine.load``: the flag's number, else the fit estimate's (None: all,
    which a CPU build turns into none)."""
    if gpu_layers is not None:
        log.info("GPU layers: %d (--gpu-layers)", gpu_layers)
        return gpu_layers
    if not engine.capabilities().supports_gpu_offload:
        log.info("GPU layers: none (CPU build: no GPU offload)")
        return None
    try:
        info = read_gguf_info(model_path)
    except EngineError:
        return None  # Engine.load reports the same problem, the usual way
    options = LoadOptions(n_ctx=n_ctx, kv_cache_type=kv_cache_type, n_threads=n_threads)
    machine = probe_machine()
    total = info.block_count + 1
    layers = auto_gpu_layers(info, machine, options)
    if layers is None:
        why = (
            f"no GPU memory figure for the {machine.backend} backend"
            if not machine.has_gpu_backend
            else "this machine's memory could not be read"
        )
        log.info("GPU layers: all %d (no fit estimate: %s)", total, why)
        return None
    summary = estimate_for(info, machine, options).summary
    log.info("GPU layers: auto → %d of %d (the fit estimate: %s)", layers, total, summary)
    return layers


def load_as_asked(engine: Engine, args: Any, kv_cache_type: str) -> LoadReport:
    """``chat``'s and ``serve``'s load: the model and flags given, GPU layers as :func:`choose_gpu_layers`."""
    path = resolve_model(args.model)
    return engine.load(
        path,
        n_ctx=args.ctx,
        n_threads=args.threads,
        n_gpu_layers=choose_gpu_layers(
            engine,
            path,
            gpu_layers=args.gpu_layers,
            n_ctx=args.ctx,
            kv_cache_type=kv_cache_type,
            n_threads=args.threads,
        ),
        kv_cache_type=kv_cache_type,
    )
