"""Per-model load options: stored wishes → Engine.load arguments, GPU layers from the fit estimate."""

from __future__ import annotations

from pathlib import Path

from app.models.gguf_file import read_gguf_info
from app.models.load_options import LoadOptions, auto_gpu_layers
from app.models.machine import Machine

GIB = 1024**3
CPU = Machine(ram_total=16 * GIB, ram_available=12 * GIB, cpu_cores=8, backend="CPU")


def test_round_trip_and_defaults_are_not_stored() -> None:
    opts = LoadOptions(n_ctx=65_536, kv_cache_type="q8_0", n_threads=4)
    assert LoadOptions.from_dict(opts.to_dict()) == opts
    assert LoadOptions().to_dict() == {"kv_cache_type": "f16"}


def test_malformed_stored_values_are_dropped() -> None:
    data = {"n_ctx": "lots", "n_gpu_layers": -3, "kv_cache_type": "q2_k", "flash_attn": "yes", "x": 1}
    assert LoadOptions.from_dict(data) == LoadOptions()
    assert LoadOptions.from_dict(["not", "a", "dict"]) == LoadOptions()
    assert LoadOptions.from_dict({"n_ctx": True}).n_ctx is None  # a bool is not a context length


def test_cpu_build_passes_no_gpu_layers(scripted_model: Path) -> None:
    info = read_gguf_info(scripted_model)
    kwargs = LoadOptions(n_ctx=8192).engine_kwargs(info, CPU)
    assert kwargs == {"n_ctx": 8192, "kv_cache_type": "f16"}


def test_auto_gpu_layers_follow_the_fit_estimate(scripted_model: Path) -> None:
    info = read_gguf_info(scripted_model)
    roomy = Machine(
        ram_total=64 * GIB, ram_available=60 * GIB, backend="CUDA", gpu_free=24 * GIB, gpu_total=24 * GIB
    )
    assert auto_gpu_layers(info, roomy, LoadOptions()) == info.block_count + 1  # everything
    tiny_gpu = Machine(ram_total=64 * GIB, ram_available=60 * GIB, backend="CUDA", gpu_free=1, gpu_total=1)
    assert auto_gpu_layers(info, tiny_gpu, LoadOptions()) == 0  # nothing fits there: CPU
    assert LoadOptions().engine_kwargs(info, tiny_gpu)["n_gpu_layers"] == 0
    # A choice the user made wins over the estimate.
    assert LoadOptions(n_gpu_layers=1).engine_kwargs(info, tiny_gpu)["n_gpu_layers"] == 1


def test_engine_kwargs_for_reads_header_and_machine_only_for_auto_gpu_layers(
    scripted_model: Path, tmp_path: Path
) -> None:
    from app.models.load_options import engine_kwargs_for

    def no_probe() -> Machine:
        raise AssertionError("the machine was probed")

    assert engine_kwargs_for(str(scripted_model), LoadOptions(n_gpu_layers=2), no_probe)["n_gpu_layers"] == 2
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"nope")
    assert engine_kwargs_for(str(bad), LoadOptions(), no_probe) == {"kv_cache_type": "f16"}
    gpu = Machine(ram_total=64 * GIB, ram_available=60 * GIB, backend="CUDA", gpu_free=1, gpu_total=1)
    assert engine_kwargs_for(str(scripted_model), LoadOptions(), lambda: gpu)["n_gpu_layers"] == 0
