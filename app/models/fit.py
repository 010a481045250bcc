"""Will this model run here? Memory needed for weights, KV cache and compute, and a verdict.

Used before a download (facts from the catalog, size from the Hub listing) and
after it (facts from the GGUF header). The components are what llama.cpp
allocates and logs when it loads a model:

- weights: the tensor data (the ``model buffer``), memory-mapped from the file;
- KV cache: 2 (K and V) × layers × KV heads × head size × bytes per value × context,
  bytes per value f16 2, q8_0 34/32, q4_0 18/32 (blocks of 32 values plus a scale);
- compute buffer: the scratch memory of one forward pass (see :func:`compute_buffer_bytes`);
- output buffer: one row of logits (f32 × vocabulary);
- overhead: the worker process itself (Python, llama.cpp's code), not in llama.cpp's log.

Calibrated against llama-cpp-python 0.3.36 on the CPU (tests/models/test_fit.py
loads generated GGUFs and compares with llama.cpp's own numbers).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.models.catalog import CATALOG, CatalogModel
from app.models.gguf_file import GGUFInfo, read_gguf_info
from app.models.machine import Machine

Verdict = Literal["gpu", "partial", "cpu", "tight", "no", "unknown"]
KV_BYTES_PER_VALUE = {"f16": 2.0, "q8_0": 34 / 32, "q4_0": 18 / 32}
# Bits per weight of whole GGUF files (Qwen3 sizes), for when the Hub listing has no size.
BITS_PER_WEIGHT = {
    "Q4_K_M": 4.85,
    "Q5_K_M": 5.7,
    "Q6_K": 6.56,
    "Q8_0": 8.5,
    "F16": 16.0,
    "BF16": 16.0,
}
GIB = 1024**3
MIB = 1024**2
N_UBATCH = 512  # llama-cpp-python's default n_batch = n_ubatch
CTX_PAD = 256  # llama.cpp rounds the KV cache up to this many cells
RUNTIME_OVERHEAD = 384 * MIB  # the worker process: Python, llama.cpp's code, the tokenizer
GPU_OVERHEAD = 512 * MIB  # CUDA/Vulkan context and library workspaces on the device
# Comfortable: what is needed plus 10 % plus 512 MiB for the rest of the desktop.
COMFORT_FACTOR = 1.10
COMFORT_SLACK = 512 * MIB
RECOMMEND_CTX = 16_384
RECOMMEND_QUANT = "Q4_K_M"


@dataclass(frozen=True)
class ModelShape:
    """The numbers the estimate needs, from the catalog or from a GGUF header."""

    name: str
    layers: int
    n_embd: int
    n_head: int
    n_head_kv: int
    head_dim: int
    n_ff: int  # dense FFN width, or one expert's
    n_vocab: int
    experts: int = 0
    experts_active: int = 0
    tied_embeddings: bool = False

    def params(self) -> int:
        """Parameter count from the shape (norms left out), to split weights per layer."""
        attn = self.n_embd * self.head_dim * (2 * self.n_head + 2 * self.n_head_kv)
        if self.experts:
            ffn = self.experts * 3 * self.n_embd * self.n_ff + self.n_embd * self.experts
        else:
            ffn = 3 * self.n_embd * self.n_ff
        embeddings = self.n_vocab * self.n_embd * (1 if self.tied_embeddings else 2)
        return self.layers * (attn + ffn) + embeddings


def shape_of(model: CatalogModel | GGUFInfo) -> ModelShape:
    """The shape of a catalog model, or of a GGUF (its metadata first, the catalog for gaps)."""
    if isinstance(model, CatalogModel):
        return ModelShape(
            name=model.name,
            layers=model.layers,
            n_embd=model.hidden,
            n_head=model.heads,
            n_head_kv=model.kv_heads,
            head_dim=model.head_dim,
            n_ff=model.ffn,
            n_vocab=model.vocab,
            experts=model.experts,
            experts_active=model.experts_active,
            tied_embeddings=model.tied_embeddings,
        )
    like = _catalog_twin(model)
    n_embd = model.embedding_length or (like.hidden if like else 4096)
    n_head = model.head_count or (like.heads if like else max(1, n_embd // 128))
    n_ff = _feed_forward_length(model) or (like.ffn if like else 3 * n_embd)
    return ModelShape(
        name=model.name or model.path.name,
        layers=model.block_count,
        n_embd=n_embd,
        n_head=n_head,
        n_head_kv=model.head_count_kv or n_head,
        head_dim=model.key_length or n_embd // n_head,
        n_ff=n_ff,
        n_vocab=model.vocab_size,
        experts=model.expert_count or 0,
        experts_active=model.expert_used_count or 0,
        tied_embeddings=like.tied_embeddings if like else False,
    )


def _catalog_twin(info: GGUFInfo) -> CatalogModel | None:
    """The catalog model a GGUF is a quantization of (same layers and width), if any."""
    for m in CATALOG:
        if m.layers == info.block_count and m.hidden == info.embedding_length:
            return m
    return None


def _feed_forward_length(info: GGUFInfo) -> int | None:
    """The FFN width, which GGUFInfo does not carry: read it from the header again."""
    keys = [f"{info.architecture}.expert_feed_forward_length", f"{info.architecture}.feed_forward_length"]
    if not info.expert_count:
        keys.reverse()
    try:
        from gguf import GGUFReader

        fields = GGUFReader(info.path, "r").fields
        for key in keys:
            field = fields.get(key)
            if field is not None:
                value = field.contents()
                if isinstance(value, int) and value > 0:
                    return value
    except Exception:  # the header was checked already; a missing width only blurs the estimate
        return None
    return None


def kv_cache_bytes(shape: ModelShape, n_ctx: int, kv_cache: str = "f16") -> int:
    """2 × layers × KV heads × head size × bytes per value × context (rounded up to 256 cells)."""
    if kv_cache not in KV_BYTES_PER_VALUE:
        raise ValueError(f"unknown KV-cache type {kv_cache!r}; one of {', '.join(KV_BYTES_PER_VALUE)}")
    cells = math.ceil(n_ctx / CTX_PAD) * CTX_PAD
    per_token = 2 * shape.layers * shape.n_head_kv * shape.head_dim * KV_BYTES_PER_VALUE[kv_cache]
    return int(per_token * cells)


def compute_buffer_bytes(shape: ModelShape, n_ctx: int, flash_attn: bool, n_ubatch: int = N_UBATCH) -> int:
    """llama.cpp's compute buffer: the peak of live f32 activations over one ubatch.

    The graph allocator reuses memory, so the buffer is the largest of a few
    moments of the forward pass, each ``u × 4 bytes × (floats per token)`` with
    u = min(n_ubatch, n_ctx), E = n_embd, H = heads, Hkv = KV heads, d = head size,
    F = FFN width (× active experts for MoE), V = vocabulary, C = context:

    - attention, flash:  max(2·H·d + 3·E, H·d + 4·Hkv·d + E) + M
    - attention, plain:  2·H·d + 3·E + 2·Hkv·d + H·C + M    (the H × C score matrix)
    - feed-forward:      3·F + 3·E + M                      (gate, up and their product)
    - logits:            V + 2·E                            (n_ubatch output rows, worst case)

    M is the attention mask, live until the last layer's attention: C/2 floats per
    token with flash attention (it is f16), C without. Fitted on generated Qwen3
    GGUFs varying one term at a time (1–128 heads, E 256–1024, F 512–16384, V 1K–80K,
    C 512–8192, 1–8 layers): llama.cpp's reported size was matched to within
    1.5 MiB, a little under it (allocator fragmentation). Without flash attention the
    score matrix dominates at long contexts (Qwen3-8B at 16K: 1 GiB); with it the
    logits do (Qwen3's 151,936 tokens: 297 MiB per 512-token ubatch).
    """
    u = max(1, min(n_ubatch, n_ctx))
    e, h, hkv, d = shape.n_embd, shape.n_head, shape.n_head_kv, shape.head_dim
    ff = shape.n_ff * (shape.experts_active or 1)
    if flash_attn:
        mask = n_ctx / 2
        attention = max(2 * h * d + 3 * e, h * d + 4 * hkv * d + e) + mask
    else:
        mask = n_ctx
        attention = 2 * h * d + 3 * e + 2 * hkv * d + h * n_ctx + mask
    feed_forward = 3 * ff + 3 * e + mask
    logits = shape.n_vocab + 2 * e
    return int(u * 4 * max(attention, feed_forward, logits))


@dataclass(frozen=True)
class FitEstimate:
    """Bytes needed, where they would go, and the verdict (all numbers kept for the UI)."""

    model: str
    n_ctx: int
    kv_cache: str
    flash_attn: bool
    layers: int
    weights_bytes: int
    kv_bytes: int
    compute_bytes: int
    output_bytes: int
    overhead_bytes: int
    verdict: Verdict
    gpu_layers: int  # layers placed on the GPU (0 for CPU only)
    ram_needed: int  # RAM under the verdict's placement, overhead included
    vram_needed: int  # GPU memory under it (0 for CPU only)
    machine: Machine

    @property
    def llama_bytes(self) -> int:
        """What llama.cpp itself allocates: weights + KV cache + compute + output buffers."""
        return self.weights_bytes + self.kv_bytes + self.compute_bytes + self.output_bytes

    @property
    def total_bytes(self) -> int:
        """Everything, with the worker process's own overhead."""
        return self.llama_bytes + self.overhead_bytes

    @property
    def fits(self) -> bool:
        return self.verdict in ("gpu", "partial", "cpu")

    @property
    def summary(self) -> str:
        """One sentence for the model manager, numbers in GiB."""
        need = (
            f"{self.model} at {self.n_ctx:,} tokens needs about {_gib(self.total_bytes)} GiB "
            f"(weights {_gib(self.weights_bytes)}, KV cache {_gib(self.kv_bytes)} {self.kv_cache}, "
            f"compute {_gib(self.compute_bytes + self.output_bytes)}, overhead {_gib(self.overhead_bytes)})"
        )
        m = self.machine
        avail, total = _gib(m.ram_available), _gib(m.ram_total)
        gpu_free = _gib(m.gpu_free)
        gpu = m.gpu_name or m.backend
        verdicts = {
            "gpu": f"it fits entirely on the {gpu} ({_gib(self.vram_needed)} of {gpu_free} GiB free).",
            "partial": (
                f"{self.gpu_layers} of {self.layers} layers fit on the {gpu} ({gpu_free} GiB free); "
                f"the rest runs on the CPU, slower ({_gib(self.ram_needed)} GiB of RAM, {avail} free)."
            ),
            "cpu": f"it runs on the CPU with room to spare ({avail} of {total} GiB RAM free).",
            "tight": (
                f"it fits in this machine's {total} GiB of RAM but not in the {avail} GiB free now: "
                "close other programs, or choose a smaller model, quantization or context."
            ),
            "no": (
                f"it will not fit in this machine's {total} GiB of RAM"
                + (f" and {gpu_free} GiB of GPU memory" if m.gpu_free else "")
                + ": choose a smaller model, quantization or context."
            ),
            "unknown": "this machine's memory could not be read, so whether it fits is unknown.",
        }
        return f"{need}; {verdicts[self.verdict]}"


def _gib(n: int | None) -> str:
    return "?" if n is None else f"{n / GIB:.1f}"


def comfortable(needed: int, available: int) -> bool:
    """Room for ``needed`` with a margin left for the desktop and the page cache."""
    return needed * COMFORT_FACTOR + COMFORT_SLACK <= available


def estimate(
    model: CatalogModel | GGUFInfo | ModelShape,
    *,
    machine: Machine,
    weights_bytes: int | None = None,
    n_ctx: int = RECOMMEND_CTX,
    kv_cache: str = "f16",
    flash_attn: bool | None = None,
    n_ubatch: int = N_UBATCH,
) -> FitEstimate:
    """Estimate memory for ``model`` at ``n_ctx`` tokens on ``machine`` and say where it runs.

    ``weights_bytes``: the Hub file size before a download; a GGUF's tensor bytes
    by default. ``flash_attn`` defaults as the load plan does: on only for a
    quantized KV cache (llama.cpp needs it for a quantized V cache).
    """
    shape = model if isinstance(model, ModelShape) else shape_of(model)
    if weights_bytes is None:
        if not isinstance(model, GGUFInfo):
            raise ValueError("weights_bytes is needed for a model that is not downloaded yet")
        weights_bytes = model.tensor_bytes
    fa = kv_cache != "f16" if flash_attn is None else flash_attn
    kv = kv_cache_bytes(shape, n_ctx, kv_cache)
    compute = compute_buffer_bytes(shape, n_ctx, fa, n_ubatch)
    output = shape.n_vocab * 4
    verdict, gpu_layers, ram, vram = _place(shape, weights_bytes, kv, compute + output, machine)
    return FitEstimate(
        model=shape.name,
        n_ctx=n_ctx,
        kv_cache=kv_cache,
        flash_attn=fa,
        layers=shape.layers,
        weights_bytes=weights_bytes,
        kv_bytes=kv,
        compute_bytes=compute,
        output_bytes=output,
        overhead_bytes=RUNTIME_OVERHEAD,
        verdict=verdict,
        gpu_layers=gpu_layers,
        ram_needed=ram,
        vram_needed=vram,
        machine=machine,
    )


def _place(
    shape: ModelShape, weights: int, kv: int, compute: int, m: Machine
) -> tuple[Verdict, int, int, int]:
    """(verdict, GPU layers, RAM needed, GPU memory needed).

    The GPU takes whole layers (their weights and KV cache) and the compute
    buffer; the token embeddings always stay in RAM, as llama.cpp keeps them.
    """
    total = weights + kv + compute + RUNTIME_OVERHEAD
    if m.ram_total is None or m.ram_available is None:
        return "unknown", 0, total, 0
    per_param = weights / max(1, shape.params())
    embd = int(shape.n_vocab * shape.n_embd * per_param)
    # The output matrix goes to the GPU with the last layer; tied embeddings are copied there.
    layer_weights = max(0, weights - embd - (0 if shape.tied_embeddings else embd))
    per_layer = (layer_weights + kv) / shape.layers
    if m.has_gpu_backend and m.gpu_free is not None:
        # Unified memory (Metal): GPU allocations come out of the same RAM.
        ram_free = m.ram_available
        vram_all = layer_weights + embd + kv + compute + (0 if m.unified_memory else GPU_OVERHEAD)
        ram_gpu = RUNTIME_OVERHEAD + embd + (vram_all if m.unified_memory else 0)
        if comfortable(vram_all, m.gpu_free) and comfortable(ram_gpu, ram_free):
            return "gpu", shape.layers, ram_gpu, vram_all
        budget = m.gpu_free / COMFORT_FACTOR - COMFORT_SLACK - compute
        budget -= 0 if m.unified_memory else GPU_OVERHEAD
        n = max(0, min(shape.layers - 1, int(budget // per_layer))) if per_layer > 0 else 0
        if n > 0 and not m.unified_memory:
            vram = int(n * per_layer + compute + GPU_OVERHEAD)
            ram = int(total - n * per_layer - compute)
            if comfortable(ram, ram_free):
                return "partial", n, ram, vram
    if comfortable(total, m.ram_available):
        return "cpu", 0, total, 0
    if total <= m.ram_total - COMFORT_SLACK:
        return "tight", 0, total, 0
    return "no", 0, total, 0


def estimated_file_size(model: CatalogModel, quant: str) -> int:
    """Parameters × bits per weight, for when the Hub listing gives no size."""
    bpw = BITS_PER_WEIGHT.get(quant.upper())
    if bpw is None:
        raise ValueError(f"no bits-per-weight figure for {quant!r}; one of {', '.join(BITS_PER_WEIGHT)}")
    return int(model.params_b * 1e9 * bpw / 8)


def catalog_estimate(model: CatalogModel, size: int, machine: Machine) -> FitEstimate:
    """The fit of a catalog model in a file of ``size`` bytes at the catalog's context (16K, or the
    model's longest if shorter): what the model manager and ``models list`` show."""
    return estimate(model, machine=machine, weights_bytes=size, n_ctx=min(RECOMMEND_CTX, model.max_ctx))


def file_estimate(path: str | Path, machine: Machine) -> FitEstimate:
    """The fit of a GGUF on disk (its header, every part of a split model) at the catalog's context;
    raises the header's ModelFileError."""
    return estimate(read_gguf_info(path), machine=machine, n_ctx=RECOMMEND_CTX)


def recommend(
    machine: Machine,
    catalog: Iterable[CatalogModel] = CATALOG,
    sizes: Mapping[tuple[str, str], int] | None = None,
) -> tuple[CatalogModel, str] | None:
    """The largest Qwen3 that runs comfortably here at 16K context in Q4_K_M (f16 KV cache).

    ``sizes`` maps (model name, quant) to the file size from the Hub listing;
    missing entries are estimated from the parameter count. None: nothing fits,
    or the machine's memory is unknown.
    """
    sizes = sizes or {}
    best: CatalogModel | None = None
    for model in catalog:
        size = sizes.get((model.name, RECOMMEND_QUANT)) or estimated_file_size(model, RECOMMEND_QUANT)
        fit = estimate(model, machine=machine, weights_bytes=size, n_ctx=min(RECOMMEND_CTX, model.max_ctx))
        if fit.verdict in ("gpu", "cpu") and (best is None or model.params_b > best.params_b):
            best = model
    return (best, RECOMMEND_QUANT) if best else None
