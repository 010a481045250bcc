"""The catalog agrees with the published Qwen3 facts."""

from __future__ import annotations

from app.models.catalog import CATALOG, find


def test_eight_models_six_dense_two_moe() -> None:
    assert len(CATALOG) == 8
    assert sum(m.is_moe for m in CATALOG) == 2


def test_kv_cache_per_token_matches_the_model_cards() -> None:
    kib = {m.name: m.kv_bytes_per_token() / 1024 for m in CATALOG}
    assert kib == {
        "Qwen3-0.6B": 112,
        "Qwen3-1.7B": 112,
        "Qwen3-4B": 144,
        "Qwen3-8B": 144,
        "Qwen3-14B": 160,
        "Qwen3-32B": 256,
        "Qwen3-30B-A3B": 96,
        "Qwen3-235B-A22B": 188,
    }


def test_context_limits_and_lookup() -> None:
    assert find("qwen3-0.6b").max_ctx == find("Qwen3-1.7B").max_ctx == 32_768
    assert all(m.max_ctx == 131_072 for m in CATALOG if m.name not in ("Qwen3-0.6B", "Qwen3-1.7B"))
    assert find("Qwen3-8B").official_repo == "Qwen/Qwen3-8B-GGUF"
    assert find("Qwen3-9B") is None
