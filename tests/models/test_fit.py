"""Fit estimates: checked against what real llama.cpp allocates, and the verdicts."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.models.catalog import CATALOG, CatalogModel, find
from app.models.fit import (
    GIB,
    MIB,
    FitEstimate,
    estimate,
    estimated_file_size,
    kv_cache_bytes,
    recommend,
    shape_of,
)
from app.models.gguf_file import read_gguf_info
from app.models.machine import Machine
from app.models.synthetic import write_benchmark_gguf

# (name, n_layers, n_embd, n_ff, n_words): three shapes that each build in well under a second.
SHAPES = [("small", 2, 256, 512, 400), ("wide-vocab", 4, 512, 1536, 3000), ("deep-ffn", 3, 768, 2048, 1500)]
CONTEXTS = [2048, 8192]
KV_CONFIGS = [("f16", False), ("f16", True), ("q8_0", True)]  # a q8_0 V cache needs flash attention
GGML_TYPE = {"f16": 1, "q8_0": 8}
TOLERANCE = 0.15

# Loads each configuration in turn with verbose logging; a marker line before each load.
# Extra buffer types off: on AMX CPUs llama.cpp otherwise keeps a second, repacked copy of the
# layer weights in an "AMX model buffer" beside the mapped file (a machine-specific extra the
# estimate does not model; the engine turns them off there after llama.cpp #20824 anyway).
CHILD = """
import sys, llama_cpp
defaults = llama_cpp.llama_cpp.llama_model_default_params
def no_extra_bufts():
    params = defaults()
    params.use_extra_bufts = False
    return params
llama_cpp.llama_cpp.llama_model_default_params = no_extra_bufts
path = sys.argv[1]
for spec in sys.argv[2:]:
    ctx, kv, fa = spec.split(":")
    print(f"=== {spec}", file=sys.stderr, flush=True)
    llm = llama_cpp.Llama(model_path=path, n_ctx=int(ctx), type_k=int(kv), type_v=int(kv),
                          flash_attn=fa == "1", n_threads=1, verbose=True)
    llm.close()
"""
# llama-cpp-python 0.3.36's log lines (CPU build).
MODEL_RE = re.compile(r"^load_tensors: +\S+ model buffer size = +([\d.]+) MiB", re.M)
KV_RE = re.compile(r"^llama_kv_cache: size = +([\d.]+) MiB", re.M)
COMPUTE_RE = re.compile(r"^sched_reserve: +\S+ compute buffer size = +([\d.]+) MiB", re.M)
OUTPUT_RE = re.compile(r"^llama_context: +\S+ +output buffer size = +([\d.]+) MiB", re.M)


@dataclass(frozen=True)
class Reported:
    """Sizes in bytes as llama.cpp logged them for one load."""

    weights: int
    kv: int
    compute: int
    output: int

    @property
    def total(self) -> int:
        return self.weights + self.kv + self.compute + self.output


def _mib_sum(pattern: re.Pattern[str], text: str) -> int:
    found = pattern.findall(text)
    assert found, f"llama.cpp did not log {pattern.pattern!r}:\n{text[-3000:]}"
    return int(sum(float(x) for x in found) * MIB)


def parse_log(text: str) -> Reported:
    return Reported(
        weights=_mib_sum(MODEL_RE, text),
        kv=_mib_sum(KV_RE, text),
        compute=_mib_sum(COMPUTE_RE, text),
        output=_mib_sum(OUTPUT_RE, text),
    )


def spec(ctx: int, kv: str, fa: bool) -> str:
    return f"{ctx}:{GGML_TYPE[kv]}:{int(fa)}"


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], tuple[Path, Reported]]:
    """Every shape × context × KV configuration loaded by real llama.cpp, one child per shape."""
    folder = tmp_path_factory.mktemp("fit")
    specs = [spec(ctx, kv, fa) for ctx in CONTEXTS for kv, fa in KV_CONFIGS]
    children = []
    for name, layers, embd, ff, words in SHAPES:
        path = write_benchmark_gguf(
            folder / f"{name}.gguf", n_layers=layers, n_embd=embd, n_ff=ff, n_words=words
        )
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), *specs],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        children.append((name, path, proc))
    results: dict[tuple[str, str], tuple[Path, Reported]] = {}
    for name, path, proc in children:
        _, err = proc.communicate(timeout=90)
        assert proc.returncode == 0, err[-3000:]
        for chunk in err.split("=== ")[1:]:  # each load logs its own model, KV and compute buffers
            key, _, log = chunk.partition("\n")
            results[(name, key)] = (path, parse_log(log))
    return results


@pytest.mark.parametrize(("kv", "fa"), KV_CONFIGS)
@pytest.mark.parametrize("ctx", CONTEXTS)
@pytest.mark.parametrize("shape", [s[0] for s in SHAPES])
def test_estimate_matches_llama_cpp(
    measured: dict[tuple[str, str], tuple[Path, Reported]], shape: str, ctx: int, kv: str, fa: bool
) -> None:
    path, got = measured[(shape, spec(ctx, kv, fa))]
    est = estimate(read_gguf_info(path), machine=Machine(), n_ctx=ctx, kv_cache=kv, flash_attn=fa)
    for what, mine, theirs in [
        ("weights", est.weights_bytes, got.weights),
        ("KV cache", est.kv_bytes, got.kv),
        ("compute", est.compute_bytes, got.compute),
        ("total", est.llama_bytes, got.total),
    ]:
        assert abs(mine - theirs) <= TOLERANCE * theirs, (
            f"{what}: estimated {mine / MIB:.2f} MiB, llama.cpp {theirs / MIB:.2f} MiB"
        )


# ---- Unit tests: facts, verdicts and the recommendation, on constructed machines ----

QWEN3_8B = find("Qwen3-8B")
QWEN3_14B = find("Qwen3-14B")
assert QWEN3_8B is not None and QWEN3_14B is not None
Q4_8B = estimated_file_size(QWEN3_8B, "Q4_K_M")


def cpu_box(total_gib: float, available_gib: float) -> Machine:
    return Machine(ram_total=int(total_gib * GIB), ram_available=int(available_gib * GIB), backend="CPU")


def cuda_box(vram_free_gib: float, ram_gib: float = 32) -> Machine:
    return Machine(
        ram_total=int(ram_gib * GIB),
        ram_available=int((ram_gib - 2) * GIB),
        backend="CUDA",
        gpu_name="NVIDIA RTX 4090",
        gpu_free=int(vram_free_gib * GIB),
        gpu_total=24 * GIB,
    )


def fit_8b(machine: Machine, **kw: Any) -> FitEstimate:
    return estimate(QWEN3_8B, machine=machine, weights_bytes=Q4_8B, **kw)


def test_qwen3_8b_kv_cache_at_32k() -> None:
    shape = shape_of(QWEN3_8B)
    assert kv_cache_bytes(shape, 32_768, "f16") == int(4.5 * GIB)
    assert kv_cache_bytes(shape, 32_768, "q8_0") / GIB == pytest.approx(2.39, abs=0.01)
    assert kv_cache_bytes(shape, 131_072, "f16") == 18 * GIB
    assert fit_8b(cpu_box(64, 60), n_ctx=32_768).kv_bytes == int(4.5 * GIB)


def test_q4_k_m_size_from_parameters() -> None:
    assert pytest.approx(5.0, abs=0.1) == Q4_8B / 1e9  # the Hub's Qwen3-8B-Q4_K_M.gguf is ≈ 5.0 GB


def test_verdict_gpu() -> None:
    fit = fit_8b(cuda_box(22))
    assert fit.verdict == "gpu" and fit.gpu_layers == fit.layers == 36 and fit.fits
    assert fit.vram_needed > fit.weights_bytes * 0.8
    assert "fits entirely on the NVIDIA RTX 4090" in fit.summary


def test_verdict_partial() -> None:
    fit = fit_8b(cuda_box(5))
    assert fit.verdict == "partial" and 0 < fit.gpu_layers < fit.layers
    assert f"{fit.gpu_layers} of 36 layers" in fit.summary
    more = fit_8b(cuda_box(6.5))
    assert more.verdict == "partial" and more.gpu_layers > fit.gpu_layers


def test_no_room_on_the_gpu_falls_back_to_cpu() -> None:
    assert fit_8b(cuda_box(0.5)).verdict == "cpu"


def test_verdict_cpu() -> None:
    fit = fit_8b(cpu_box(32, 28))
    assert fit.verdict == "cpu" and fit.gpu_layers == 0 and fit.vram_needed == 0
    assert fit.ram_needed == fit.total_bytes == fit.llama_bytes + fit.overhead_bytes
    assert "28.0 of 32.0 GiB RAM free" in fit.summary


def test_verdict_tight() -> None:
    fit = fit_8b(cpu_box(16, 5))
    assert fit.verdict == "tight" and not fit.fits
    assert "not in the 5.0 GiB free" in fit.summary


def test_verdict_no() -> None:
    fit = fit_8b(cpu_box(4, 3.5))
    assert fit.verdict == "no"
    assert "will not fit in this machine's 4.0 GiB" in fit.summary


def test_unknown_memory_gives_an_unknown_verdict() -> None:
    fit = fit_8b(Machine())
    assert fit.verdict == "unknown" and "could not be read" in fit.summary


def test_unified_memory_counts_gpu_memory_as_ram() -> None:
    mac = Machine(
        ram_total=32 * GIB,
        ram_available=24 * GIB,
        backend="Metal",
        gpu_free=21 * GIB,
        gpu_total=21 * GIB,
        unified_memory=True,
    )
    fit = fit_8b(mac)
    assert fit.verdict == "gpu" and fit.ram_needed > fit.vram_needed


def test_summary_shows_the_numbers_in_gib() -> None:
    fit = fit_8b(cpu_box(32, 28), n_ctx=32_768)
    assert "Qwen3-8B at 32,768 tokens" in fit.summary
    assert "KV cache 4.5 f16" in fit.summary and f"weights {Q4_8B / GIB:.1f}" in fit.summary


def test_quantized_kv_cache_turns_flash_attention_on_and_shrinks() -> None:
    f16, q8 = fit_8b(cpu_box(32, 28)), fit_8b(cpu_box(32, 28), kv_cache="q8_0")
    assert not f16.flash_attn and q8.flash_attn
    assert q8.kv_bytes < f16.kv_bytes and q8.compute_bytes < f16.compute_bytes


def test_unknown_kv_type_and_missing_size_are_refused() -> None:
    with pytest.raises(ValueError, match="KV-cache type"):
        fit_8b(cpu_box(32, 28), kv_cache="q5_1")
    with pytest.raises(ValueError, match="weights_bytes"):
        estimate(QWEN3_8B, machine=cpu_box(32, 28))


def test_recommend_grows_with_the_machine() -> None:
    small = recommend(cpu_box(8, 6))
    big = recommend(cpu_box(64, 60))
    assert small is not None and big is not None
    assert small[1] == big[1] == "Q4_K_M"
    assert big[0].params_b > small[0].params_b
    assert recommend(cpu_box(1, 0.5)) is None
    assert recommend(Machine()) is None


def test_recommend_uses_hub_sizes() -> None:
    machine = cpu_box(24, 22)
    chosen = recommend(machine)
    assert chosen is not None
    huge = {(chosen[0].name, "Q4_K_M"): 100 * GIB}
    second = recommend(machine, CATALOG, huge)
    assert second is not None and second[0] != chosen[0]


def test_recommend_only_from_the_catalog_given() -> None:
    only: list[CatalogModel] = [QWEN3_8B, QWEN3_14B]
    assert recommend(cpu_box(64, 60), only) == (QWEN3_14B, "Q4_K_M")


def test_gguf_shape_comes_from_its_metadata(scripted_model: Path) -> None:
    shape = shape_of(read_gguf_info(scripted_model))
    assert (shape.layers, shape.n_head, shape.n_head_kv, shape.head_dim, shape.n_ff) == (2, 4, 2, 32, 64)
