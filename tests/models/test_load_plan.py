"""Load plans: YaRN only beyond the native context, the right factor, refusals."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from app.backend.errors import InvalidRequestError, UnsupportedContextError
from app.models.gguf_file import GGUFInfo, read_gguf_info
from app.models.load_plan import context_for, context_limits, default_threads, make_plan


@pytest.fixture
def qwen3_4b(scripted_model: Path) -> GGUFInfo:
    return read_gguf_info(scripted_model)  # size label "4B", context_length 40960 like the official GGUFs


@pytest.mark.parametrize("ctx", [4096, 32_768, 32_769, 40_960])
def test_no_rope_scaling_up_to_the_trained_40960(qwen3_4b: GGUFInfo, ctx: int) -> None:
    plan = make_plan(qwen3_4b, n_ctx=ctx)
    assert plan.yarn_factor is None and plan.rope_freq_scale == 0.0 and plan.yarn_orig_ctx is None
    assert plan.native_ctx == 40_960


@pytest.mark.parametrize(
    ("ctx", "factor"), [(40_961, 2), (65_536, 2), (65_537, 3), (100_000, 4), (131_072, 4)]
)
def test_yarn_factor_is_rounded_up(qwen3_4b: GGUFInfo, ctx: int, factor: int) -> None:
    plan = make_plan(qwen3_4b, n_ctx=ctx)
    assert plan.yarn_factor == factor
    assert plan.yarn_orig_ctx == 32_768  # not the 40,960 in the metadata
    assert plan.rope_freq_scale == pytest.approx(1 / factor)
    assert "YaRN" in plan.describe()


def test_beyond_131072_is_refused(qwen3_4b: GGUFInfo) -> None:
    with pytest.raises(UnsupportedContextError, match="131,072"):
        make_plan(qwen3_4b, n_ctx=131_073)


@pytest.mark.parametrize("label", ["0.6B", "1.7B"])
def test_small_qwen3_stop_at_40960_without_yarn(qwen3_4b: GGUFInfo, label: str) -> None:
    small = replace(qwen3_4b, size_label=label, name=f"Qwen3-{label}")
    assert make_plan(small, n_ctx=40_960).yarn_factor is None
    with pytest.raises(UnsupportedContextError, match=f"Qwen3-{label} is a 40,960-token model"):
        make_plan(small, n_ctx=65_536)


def test_gguf_that_carries_yarn_metadata(qwen3_4b: GGUFInfo) -> None:
    info = replace(
        qwen3_4b,
        context_length=131_072,
        rope_scaling_type="yarn",
        rope_scaling_factor=4.0,
        rope_scaling_orig_ctx=32_768,
    )
    assert context_limits(info) == (40_960, 131_072)
    assert make_plan(info, n_ctx=131_072).yarn_factor == 4
    assert make_plan(info, n_ctx=65_536).yarn_factor == 2
    # Within the unscaled context the file's own YaRN is not used (the worker forces "none").
    assert make_plan(info, n_ctx=16_384).yarn_factor is None


@pytest.mark.parametrize("ctx", [16_384, 131_072, 262_144])
def test_2507_models_run_262144_natively(qwen3_4b: GGUFInfo, ctx: int) -> None:
    info = replace(qwen3_4b, name="Qwen3-4B-Instruct-2507", context_length=262_144)
    assert context_limits(info) == (262_144, 262_144)
    plan = make_plan(info, n_ctx=ctx)
    assert plan.yarn_factor is None and plan.max_ctx == 262_144
    with pytest.raises(UnsupportedContextError, match="262,144-token model"):
        make_plan(info, n_ctx=262_145)
    assert context_for(info, 150_000) == 262_144


def test_other_architectures_keep_their_trained_context(qwen3_4b: GGUFInfo) -> None:
    llama = replace(qwen3_4b, architecture="llama", context_length=8192)
    assert make_plan(llama).n_ctx == 8192
    with pytest.raises(UnsupportedContextError):
        make_plan(llama, n_ctx=16_384)


def test_default_context(qwen3_4b: GGUFInfo) -> None:
    assert make_plan(qwen3_4b).n_ctx == 16_384


def test_gpu_layers_only_when_the_build_offloads(qwen3_4b: GGUFInfo) -> None:
    assert make_plan(qwen3_4b, n_gpu_layers=10, gpu_offload_supported=False).n_gpu_layers == 0
    assert make_plan(qwen3_4b, gpu_offload_supported=True).n_gpu_layers == qwen3_4b.block_count + 1
    assert make_plan(qwen3_4b, n_gpu_layers=1, gpu_offload_supported=True).n_gpu_layers == 1


def test_quantized_kv_cache_needs_flash_attention(qwen3_4b: GGUFInfo) -> None:
    assert make_plan(qwen3_4b, kv_cache_type="q8_0").flash_attn is True
    with pytest.raises(InvalidRequestError, match="flash attention"):
        make_plan(qwen3_4b, kv_cache_type="q8_0", flash_attn=False)
    with pytest.raises(InvalidRequestError, match="KV-cache type"):
        make_plan(qwen3_4b, kv_cache_type="q3")


def test_threads_and_tiny_contexts(qwen3_4b: GGUFInfo) -> None:
    assert make_plan(qwen3_4b, n_threads=3).n_threads == 3
    with pytest.raises(InvalidRequestError):
        make_plan(qwen3_4b, n_threads=0)
    with pytest.raises(InvalidRequestError, match="too small"):
        make_plan(qwen3_4b, n_ctx=16)


@pytest.mark.parametrize(
    ("needed", "ctx"),
    [(1000, 8192), (12_000, 16_384), (30_000, 40_960), (40_000, 65_536), (100_000, 131_072)],
)
def test_context_for_a_conversation_that_outgrew_the_loaded_one(
    qwen3_4b: GGUFInfo, needed: int, ctx: int
) -> None:
    assert context_for(qwen3_4b, needed) == ctx
    plan = make_plan(qwen3_4b, n_ctx=ctx)
    assert (plan.yarn_factor or 1) == (1 if ctx <= 40_960 else ctx // 32_768)


def test_context_for_explains_why_not(qwen3_4b: GGUFInfo) -> None:
    with pytest.raises(UnsupportedContextError, match="supports at most 131,072"):
        context_for(qwen3_4b, 130_000)
    small = replace(qwen3_4b, size_label="0.6B", name="Qwen3-0.6B")
    assert context_for(small, 20_000) == 32_768
    assert context_for(small, 30_000) == 40_960
    with pytest.raises(UnsupportedContextError, match="Larger Qwen3 models reach 131,072"):
        context_for(small, 40_000)


def test_default_threads_are_the_physical_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    import psutil

    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: 8 if logical else 4)
    assert default_threads() == 4  # hyper-threads add nothing
    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: 2)  # 2 cores, 1 thread each
    assert default_threads() == 2  # was 1: half the machine sat idle
    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: None if not logical else 6)
    assert default_threads() >= 1
