"""Qwen3's recommended sampling per mode, and per-request overrides.

From the Qwen3 model card's best practices. llama-cpp-python's own defaults
(temperature 0.2, top-k 40, min-p 0.05) differ, so a preset is always passed.
"""

from __future__ import annotations

import math

from app.backend.errors import InvalidRequestError
from app.backend.protocol import Sampling, SamplingParams

THINKING_PRESET = SamplingParams(temperature=0.6, top_p=0.95, top_k=20, min_p=0.0)
NON_THINKING_PRESET = SamplingParams(temperature=0.7, top_p=0.8, top_k=20, min_p=0.0)
MAX_TEMPERATURE = 2.0  # OpenAI's range, and the window's
GREEDY_BELOW = 1e-3  # a smaller temperature samples as greedily as 0 does
FLOATS = {
    "temperature": "temperature",
    "top_p": "top-p",
    "min_p": "min-p",
    "presence_penalty": "presence penalty",
}


def preset(enable_thinking: bool) -> SamplingParams:
    return THINKING_PRESET if enable_thinking else NON_THINKING_PRESET


def resolve(overrides: Sampling, enable_thinking: bool) -> SamplingParams:
    """Apply overrides to the mode's preset and check the result."""
    base = preset(enable_thinking)
    params = SamplingParams(
        temperature=base.temperature if overrides.temperature is None else overrides.temperature,
        top_p=base.top_p if overrides.top_p is None else overrides.top_p,
        top_k=base.top_k if overrides.top_k is None else overrides.top_k,
        min_p=base.min_p if overrides.min_p is None else overrides.min_p,
        presence_penalty=base.presence_penalty
        if overrides.presence_penalty is None
        else overrides.presence_penalty,
        seed=overrides.seed,
    )
    _check(params, enable_thinking)
    return params


def _check(p: SamplingParams, enable_thinking: bool) -> None:
    for name, label in FLOATS.items():
        if not math.isfinite(getattr(p, name)):
            raise InvalidRequestError(f"{label} must be a finite number (got {getattr(p, name)}).")
    if not 0 <= p.temperature <= MAX_TEMPERATURE:
        raise InvalidRequestError(f"temperature must be in [0, {MAX_TEMPERATURE:g}] (got {p.temperature}).")
    if enable_thinking and p.temperature < GREEDY_BELOW:
        raise InvalidRequestError(
            "Greedy decoding (temperature 0) is refused in thinking mode: Qwen3's model card warns it "
            "degrades and can repeat endlessly. Use the thinking preset (0.6) or turn thinking off."
        )
    if not 0 < p.top_p <= 1:
        raise InvalidRequestError(f"top-p must be in (0, 1] (got {p.top_p}).")
    if p.top_k < 0:
        raise InvalidRequestError(f"top-k must be ≥ 0 (got {p.top_k}; 0 means off).")
    if not 0 <= p.min_p <= 1:
        raise InvalidRequestError(f"min-p must be in [0, 1] (got {p.min_p}).")
    if not 0 <= p.presence_penalty <= 2:
        raise InvalidRequestError(
            f"presence penalty must be in [0, 2] (got {p.presence_penalty}); Qwen suggests up to 1.5."
        )
    if p.seed is not None and not 0 <= p.seed < 2**32 - 1:
        raise InvalidRequestError(f"seed must be in [0, 2^32 - 2] (got {p.seed}).")
