"""``qwendesk chat`` and ``qwendesk serve`` choose GPU layers from the fit estimate, as the window does."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from app.backend.engine import Engine, LoadReport
from app.backend.errors import LoadFailedError
from app.backend.protocol import Hello
from app.cli import build_parser, chat, gpu_layers, serve
from app.models.gguf_file import GGUFInfo, read_gguf_info
from app.models.load_options import LoadOptions, auto_gpu_layers
from app.models.machine import Machine
from tests.cli.test_chat_cli import qwendesk

GIB = 1024**3
LAPTOP = Machine(
    ram_total=32 * GIB,
    ram_available=28 * GIB,
    cpu_cores=8,
    backend="CUDA",
    gpu_name="Laptop GPU",
    gpu_free=6 * GIB,
    gpu_total=8 * GIB,
)


class StubEngine(Engine):
    """A GPU build (or not) that records the GPU layers it is asked for and loads nothing."""

    def __init__(self, offload: bool) -> None:
        super().__init__()
        self.offload = offload
        self.asked: list[Any] = []

    def capabilities(self) -> Hello:
        return Hello("test", self.offload, "")

    def load(self, model_path: str, **kwargs: Any) -> LoadReport:
        self.asked.append(kwargs.get("n_gpu_layers"))
        raise LoadFailedError("stub engine: nothing loaded")


@pytest.fixture
def big_model(scripted_model: Path, monkeypatch: pytest.MonkeyPatch) -> GGUFInfo:
    """The scripted GGUF's header, made to look like Qwen3-14B Q4_K_M (9 GiB of weights, 40 layers)."""
    info = replace(
        read_gguf_info(scripted_model),
        name="Qwen3-14B",
        size_label="14B",
        block_count=40,
        embedding_length=5120,
        head_count=40,
        head_count_kv=8,
        key_length=128,
        vocab_size=151_936,
        tensor_bytes=9 * GIB,
    )
    monkeypatch.setattr(gpu_layers, "read_gguf_info", lambda _path: info)
    monkeypatch.setattr(gpu_layers, "probe_machine", lambda: LAPTOP)
    return info


def run_chat(*argv: str, offload: bool = True) -> tuple[int, StubEngine]:
    engine = StubEngine(offload)
    args = build_parser().parse_args(["-v", "chat", *argv, "hi"])
    return chat.run(args, engine_factory=lambda: engine), engine


def test_chat_offloads_what_the_fit_estimate_places_on_the_gpu(
    big_model: GGUFInfo, scripted_model: Path, caplog: pytest.LogCaptureFixture
) -> None:
    expected = auto_gpu_layers(big_model, LAPTOP, LoadOptions())
    assert expected is not None and 0 < expected < big_model.block_count + 1  # a partial fit
    with caplog.at_level(logging.INFO, logger="qwendesk.cli"):
        rc, engine = run_chat("--model", str(scripted_model))
    assert rc == 1 and engine.asked == [expected]  # not None ("all"): 41 layers would not fit in 6 GiB
    said = caplog.text
    assert f"GPU layers: auto → {expected} of 41 (the fit estimate: Qwen3-14B at 16,384 tokens" in said
    assert f"{expected} of 40 layers fit on the Laptop GPU" in said


def test_the_estimate_follows_the_context_and_the_flag_wins(
    big_model: GGUFInfo, scripted_model: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _rc, engine = run_chat("--model", str(scripted_model), "--ctx", "40960")
    assert engine.asked == [auto_gpu_layers(big_model, LAPTOP, LoadOptions(n_ctx=40_960))]
    with caplog.at_level(logging.INFO, logger="qwendesk.cli"):
        _rc, engine = run_chat("--model", str(scripted_model), "--gpu-layers", "7")
    assert engine.asked == [7] and "GPU layers: 7 (--gpu-layers)" in caplog.text


def test_a_cpu_build_is_not_probed(
    scripted_model: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_probe() -> Machine:
        raise AssertionError("probed the machine for a CPU build")

    monkeypatch.setattr(gpu_layers, "probe_machine", no_probe)
    with caplog.at_level(logging.INFO, logger="qwendesk.cli"):
        _rc, engine = run_chat("--model", str(scripted_model), offload=False)
    assert engine.asked == [None] and "CPU build: no GPU offload" in caplog.text


def test_serve_uses_the_same_choice(big_model: GGUFInfo, scripted_model: Path) -> None:
    expected = auto_gpu_layers(big_model, LAPTOP, LoadOptions())
    engine = StubEngine(True)
    args = build_parser().parse_args(["-v", "serve", "--model", str(scripted_model), "--port", "0"])
    assert serve.run(args, engine_factory=lambda: engine) == 1
    assert engine.asked == [expected]
    engine = StubEngine(True)
    args = build_parser().parse_args(
        ["serve", "--model", str(scripted_model), "--port", "0", "--gpu-layers", "3"]
    )
    assert serve.run(args, engine_factory=lambda: engine) == 1
    assert engine.asked == [3]


def test_verbose_says_what_was_chosen(scripted_model: Path) -> None:
    """The real command on this (CPU) build of llama.cpp."""
    r = qwendesk("-v", "chat", "--model", str(scripted_model), "--max-tokens", "2", "--json", "hi")
    assert r.returncode == 0, r.stderr
    assert "GPU layers: none (CPU build: no GPU offload)" in r.stderr
    help_text = qwendesk("chat", "--help").stdout
    assert "as many as the fit estimate says fit" in " ".join(help_text.split())
