"""Qwen's sampling presets per mode, overrides, and what is refused."""

from __future__ import annotations

import pytest

from app.backend.errors import InvalidRequestError
from app.backend.protocol import Sampling
from app.backend.sampling import resolve


def test_thinking_preset() -> None:
    p = resolve(Sampling(), enable_thinking=True)
    assert (p.temperature, p.top_p, p.top_k, p.min_p, p.presence_penalty) == (0.6, 0.95, 20, 0.0, 0.0)


def test_non_thinking_preset() -> None:
    p = resolve(Sampling(), enable_thinking=False)
    assert (p.temperature, p.top_p, p.top_k, p.min_p) == (0.7, 0.8, 20, 0.0)


def test_every_value_overridable() -> None:
    o = Sampling(temperature=1.1, top_p=0.5, top_k=7, min_p=0.1, presence_penalty=1.5, seed=42)
    p = resolve(o, enable_thinking=True)
    assert (p.temperature, p.top_p, p.top_k, p.min_p, p.presence_penalty, p.seed) == (
        1.1,
        0.5,
        7,
        0.1,
        1.5,
        42,
    )


def test_greedy_refused_in_thinking_mode_only() -> None:
    with pytest.raises(InvalidRequestError, match="Greedy decoding"):
        resolve(Sampling(temperature=0), enable_thinking=True)
    assert resolve(Sampling(temperature=0), enable_thinking=False).temperature == 0


@pytest.mark.parametrize(
    "bad",
    [
        Sampling(temperature=-1),
        Sampling(top_p=0),
        Sampling(top_p=1.5),
        Sampling(top_k=-1),
        Sampling(min_p=2),
        Sampling(presence_penalty=2.5),
        Sampling(seed=-3),
    ],
)
def test_out_of_range_values_get_clear_errors(bad: Sampling) -> None:
    with pytest.raises(InvalidRequestError):
        resolve(bad, enable_thinking=False)
