"""How long this machine takes to read a prompt with the loaded model, learned from what it ran.

Reading a token costs a fixed part (the weights: ``a`` seconds) and a part that grows with how much
it attends to (``b`` seconds per token already in the context), so ``n`` tokens read after ``start``
others take ``a·n + b·(n·start + n²/2)``. On a CPU the second part is what makes a 12,000-token
document slow: with the benchmark-shaped model a token at position 6,000 costs four times one at 0.

``a`` comes from a short measurement when a model is first loaded on this machine; ``b`` starts at
``a`` times the model's attention work per position over its weight work per token (from the GGUF's
shape) times :data:`ATTENTION_EFFICIENCY`; both are then fitted to the turns the engine runs, which
read at many depths. Kept per model file and load plan in the machine state, so a restart keeps them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from app.backend.protocol import Done
from app.models.gguf_file import GGUFInfo
from app.models.load_plan import LoadPlan

# Attention runs at a lower share of the CPU's peak than the weights' matrix products: measured here
# (AVX-512, llama.cpp 0.3.36) as 1.7× what the operation counts alone predict. Turns correct it.
ATTENTION_EFFICIENCY = 1.7
MAX_SAMPLES = 24
MIN_SAMPLE_TOKENS = 32  # shorter reads are mostly fixed costs, not speed
MIN_DEPTH_SPREAD = 1_000  # tokens of depth between readings before b is fitted instead of assumed


def attention_ratio(info: GGUFInfo) -> float:
    """b / a as the operation counts predict it: attention per context token over weights per token."""
    layers, embd = info.block_count, info.embedding_length or 0
    heads, kv, head_dim = (
        info.head_count or 0,
        info.head_count_kv or info.head_count or 0,
        info.key_length or 0,
    )
    if not (embd and heads and head_dim):
        return 2e-4
    attention_weights = embd * head_dim * (2 * heads + 2 * kv)
    ffn = 3 * embd * (info.feed_forward_length or 3 * embd)
    if info.expert_count and info.expert_used_count:
        ffn = (
            3
            * embd
            * (info.expert_feed_forward_length or info.feed_forward_length or embd)
            * (info.expert_used_count)
        )
    weights = layers * (attention_weights + ffn) + embd * info.vocab_size
    per_position = layers * heads * head_dim * 4  # QKᵀ and the weighted sum of V: 2 flops each
    return ATTENTION_EFFICIENCY * per_position / (2 * weights)


@dataclass(frozen=True)
class Sample:
    tokens: int
    start: int
    seconds: float


@dataclass(frozen=True)
class PromptSpeed:
    """Seconds per token (``a``) and per token per token of context (``b``), and what they came from."""

    a: float
    ratio: float  # the prior b / a, used until the samples span enough depths
    samples: tuple[Sample, ...] = field(default=())

    @property
    def b(self) -> float:
        fitted = _fit(self.samples)
        return fitted[1] if fitted else self.a_fitted * self.ratio

    @property
    def a_fitted(self) -> float:
        fitted = _fit(self.samples)
        if fitted:
            return fitted[0]
        if not self.samples:
            return self.a
        # The prior's shape, scaled to what the turns took.
        work = sum(s.tokens + self.ratio * _depth_work(s) for s in self.samples)
        return sum(s.seconds for s in self.samples) / work if work else self.a

    def seconds(self, tokens: int, start: int = 0) -> float:
        """The estimated time to read ``tokens`` more tokens after ``start`` already in the context."""
        if tokens <= 0:
            return 0.0
        return self.a_fitted * tokens + self.b * _depth_work(Sample(tokens, start, 0.0))

    def observed(self, tokens: int, start: int, seconds: float) -> PromptSpeed:
        """With one more reading (a turn's prompt); short ones are ignored."""
        if tokens < MIN_SAMPLE_TOKENS or seconds <= 0:
            return self
        samples = (*self.samples, Sample(tokens, start, seconds))[-MAX_SAMPLES:]
        return replace(self, samples=samples)

    def after(self, done: Done) -> PromptSpeed:
        """With a turn's prompt reading (its evaluated tokens, after those it reused)."""
        if done.prompt_eval_s is None:
            return self
        start = done.prompt_tokens - done.evaluated_prompt_tokens
        return self.observed(done.evaluated_prompt_tokens, start, done.prompt_eval_s)

    def to_json(self) -> dict[str, object]:
        return {
            "a": self.a,
            "ratio": self.ratio,
            "samples": [[s.tokens, s.start, s.seconds] for s in self.samples],
        }

    @classmethod
    def from_json(cls, raw: object) -> PromptSpeed | None:
        if not isinstance(raw, dict):
            return None
        try:
            a, ratio = float(raw["a"]), float(raw["ratio"])
            samples = tuple(Sample(int(t), int(s), float(x)) for t, s, x in raw.get("samples", []))
        except (KeyError, TypeError, ValueError):
            return None
        if not (a > 0 and ratio >= 0):
            return None
        return cls(a, ratio, samples[-MAX_SAMPLES:])


def _depth_work(s: Sample) -> float:
    return s.tokens * s.start + s.tokens * s.tokens / 2


def _fit(samples: Sequence[Sample]) -> tuple[float, float] | None:
    """(a, b) by least squares on seconds per token against mean depth, weighted by tokens; None when
    the readings do not span enough depth to tell b, or the fit makes no physical sense."""
    if len(samples) < 2:
        return None
    depths = [s.start + s.tokens / 2 for s in samples]
    if max(depths) - min(depths) < MIN_DEPTH_SPREAD:
        return None
    w = [float(s.tokens) for s in samples]
    y = [s.seconds / s.tokens for s in samples]
    sw = sum(w)
    mx = sum(wi * d for wi, d in zip(w, depths)) / sw
    my = sum(wi * yi for wi, yi in zip(w, y)) / sw
    sxx = sum(wi * (d - mx) ** 2 for wi, d in zip(w, depths))
    sxy = sum(wi * (d - mx) * (yi - my) for wi, d, yi in zip(w, depths, y))
    if sxx <= 0:
        return None
    b = sxy / sxx
    a = my - b * mx
    if a <= 0 or b < 0:
        return None
    return a, b


def speed_key(plan: LoadPlan) -> str:
    """A model's prompt speed depends on the file and how it runs: threads, GPU layers, KV type."""
    try:
        st = os.stat(plan.model_path)
        stamp = f"{st.st_size}:{st.st_mtime_ns}"
    except OSError:
        stamp = "?"
    return (
        f"{os.path.basename(plan.model_path)}:{stamp}|threads {plan.n_threads}|gpu {plan.n_gpu_layers}"
        f"|kv {plan.kv_cache_type}|fa {int(plan.flash_attn)}"
    )
