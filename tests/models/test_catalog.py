"""The catalog agrees with the published Qwen3 facts."""

from __future__ import annotations

from app.models.catalog import CATALOG, CATALOG_2507, ORIGINALS, find


def test_eight_originals_six_dense_two_moe() -> None:
    assert len(ORIGINALS) == 8
    assert sum(m.is_moe for m in ORIGINALS) == 2
    assert all(m.think == "hybrid" and not m.is_2507 for m in ORIGINALS)


def test_kv_cache_per_token_matches_the_model_cards() -> None:
    kib = {m.name: m.kv_bytes_per_token() / 1024 for m in ORIGINALS}
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
    assert all(m.max_ctx == 131_072 for m in ORIGINALS if m.name not in ("Qwen3-0.6B", "Qwen3-1.7B"))
    assert find("Qwen3-8B").official_repo == "Qwen/Qwen3-8B-GGUF"
    assert find("Qwen3-9B") is None


def test_the_2507_generation_follows_the_originals_with_262k_context_and_one_mode_each() -> None:
    names = [m.name for m in CATALOG_2507]
    assert names == [
        "Qwen3-4B-Instruct-2507",
        "Qwen3-4B-Thinking-2507",
        "Qwen3-30B-A3B-Instruct-2507",
        "Qwen3-30B-A3B-Thinking-2507",
        "Qwen3-235B-A22B-Instruct-2507",
        "Qwen3-235B-A22B-Thinking-2507",
    ]
    assert CATALOG == ORIGINALS + CATALOG_2507
    for m in CATALOG_2507:
        assert m.is_2507 and m.native_ctx == m.max_ctx == 262_144
        assert m.think == ("never" if "Instruct" in m.name else "always")
        base = find(m.name.rsplit("-", 2)[0])
        shape = (base.layers, base.kv_heads, base.hidden, base.experts)
        assert (m.layers, m.kv_heads, m.hidden, m.experts) == shape
    assert find("qwen3-30b-a3b-thinking-2507").alternative_repo == "unsloth/Qwen3-30B-A3B-Thinking-2507-GGUF"
