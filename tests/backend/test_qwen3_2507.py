"""The 2507 generation and other real-file shapes on real llama.cpp: one-mode models,
262K native context, split files, and GGUFs that carry YaRN in their metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.backend.engine import Engine
from app.backend.protocol import Answer, ChatMessage, Done, GenerationRequest, Reasoning
from app.models.fit import estimate
from app.models.gguf_file import read_gguf_info
from app.models.load_options import LoadOptions, auto_gpu_layers
from app.models.machine import Machine
from app.models.synthetic import (
    write_2507_gguf,
    write_benchmark_gguf,
    write_scripted_gguf,
)
from app.models.think_mode import think_mode

HI = (ChatMessage("user", "hi"),)


def run(engine: Engine, request: GenerationRequest) -> tuple[str, str, Done]:
    reasoning, answer, done = [], [], None
    for ev in engine.generate(request):
        if isinstance(ev, Reasoning):
            reasoning.append(ev.text)
        elif isinstance(ev, Answer):
            answer.append(ev.text)
        elif isinstance(ev, Done):
            done = ev
    assert done is not None
    return "".join(reasoning), "".join(answer), done


@pytest.fixture(scope="module")
def instruct(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_2507_gguf(tmp_path_factory.mktemp("2507") / "Qwen3-4B-Instruct-2507-Q8_0.gguf", quant="q8_0")


@pytest.fixture(scope="module")
def thinking(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_2507_gguf(tmp_path_factory.mktemp("2507") / "Qwen3-4B-Thinking-2507-Q8_0.gguf", "Thinking")


def test_think_mode_is_read_from_the_template(instruct: Path, thinking: Path, scripted_model: Path) -> None:
    assert think_mode(read_gguf_info(instruct)) == "never"
    assert think_mode(read_gguf_info(thinking)) == "always"
    assert think_mode(read_gguf_info(scripted_model)) == "hybrid"


def test_renamed_copies_keep_their_mode_and_names_count_only_without_a_template(tmp_path: Path) -> None:
    renamed = write_2507_gguf(tmp_path / "my-model.gguf", "Thinking", name="some finetune")
    assert think_mode(read_gguf_info(renamed)) == "always"  # the template decides, not the name
    lying = write_scripted_gguf(tmp_path / "x.gguf", name="Qwen3-4B-Instruct-2507")  # hybrid template
    assert think_mode(read_gguf_info(lying)) == "hybrid"
    bare = write_scripted_gguf(tmp_path / "bare.gguf", name="Qwen3-4B-Instruct-2507", chat_template=None)
    assert think_mode(read_gguf_info(bare)) == "never"
    bare_thinking = write_scripted_gguf(tmp_path / "Qwen3-4B-Thinking-2507-Q4_K_M.gguf", chat_template=None)
    assert think_mode(read_gguf_info(bare_thinking)) == "always"


@pytest.mark.parametrize("wanted", [True, False])
def test_instruct_2507_never_thinks_whatever_the_switch(engine: Engine, instruct: Path, wanted: bool) -> None:
    report = engine.load(str(instruct))
    assert report.think_mode == engine.think_mode == "never"
    assert any(n.code == "think_never" for n in report.notices)
    assert report.plan.native_ctx == report.plan.max_ctx == 262_144 and report.plan.yarn_factor is None
    reasoning, answer, done = run(engine, GenerationRequest(HI, enable_thinking=wanted, thinking_budget=2))
    assert reasoning == "" and answer == "Hello! How can I help?"
    assert done.reasoning_tokens == 0 and not done.thinking_budget_hit


def test_thinking_2507_always_thinks_and_its_budget_works(engine: Engine, thinking: Path) -> None:
    report = engine.load(str(thinking))
    assert report.think_mode == "always" and any(n.code == "think_always" for n in report.notices)
    # The template opened <think>: the output starts inside the reasoning, with no opening tag.
    reasoning, answer, done = run(engine, GenerationRequest(HI, enable_thinking=False))
    assert reasoning.strip() == "The user greets me." and answer == "Hello! How can I help?"
    assert done.thought
    # The budget applies even though the conversation's toggle says off.
    reasoning, answer, done = run(engine, GenerationRequest(HI, enable_thinking=False, thinking_budget=2))
    assert done.thinking_budget_hit and done.reasoning_tokens <= 3
    assert "greets" not in reasoning


def test_2507_loads_a_long_context_without_yarn(engine: Engine, instruct: Path) -> None:
    report = engine.load(str(instruct), n_ctx=65_536)
    assert report.plan.yarn_factor is None and report.loaded.n_ctx == 65_536
    assert not any(n.code == "yarn" for n in report.notices)  # was YaRN ×2 before 2507 was known


def test_a_split_model_loads_and_counts_every_part(engine: Engine, tmp_path: Path) -> None:
    first = write_scripted_gguf(tmp_path / "Qwen3-Split-Q8_0.gguf", split_parts=3, quant="q8_0")
    parts = sorted(tmp_path.glob("Qwen3-Split-Q8_0-0000?-of-00003.gguf"))
    assert first == parts[0] and len(parts) == 3
    info = read_gguf_info(first)
    assert info.split_count == 3
    # The weights are in every part; the first alone holds a fraction of them.
    assert info.tensor_bytes > 1.5 * (parts[0].stat().st_size)
    assert info.file_size == sum(p.stat().st_size for p in parts)
    whole = read_gguf_info(write_scripted_gguf(tmp_path / "whole.gguf", quant="q8_0"))
    assert info.tensor_bytes == whole.tensor_bytes
    # So the fit estimate and the automatic GPU layers see the whole model, not its first part.
    gib = 1024**3
    gpu = Machine(ram_total=64 * gib, ram_available=60 * gib, backend="CUDA", gpu_free=int(0.4 * gib))
    assert estimate(info, machine=gpu).weights_bytes == estimate(whole, machine=gpu).weights_bytes
    options = LoadOptions(n_ctx=4096)
    assert auto_gpu_layers(info, gpu, options) == auto_gpu_layers(whole, gpu, options)
    engine.load(str(first))
    assert run(engine, GenerationRequest(HI))[1] == "Hello! How can I help?"


def _logits(path: Path, plan_ctx: int, prompt: list[int], *, rope: bool = True) -> list[float]:
    """The last position's logits through the worker's own rope arguments (a separate process)."""
    import json
    import subprocess
    import sys

    code = f"""
import json, llama_cpp
from app.backend.worker import rope_kwargs
from app.models.fit import estimate
from app.models.gguf_file import read_gguf_info
from app.models.load_options import LoadOptions, auto_gpu_layers
from app.models.machine import Machine
from app.models.load_plan import make_plan
plan = make_plan(read_gguf_info({str(path)!r}), n_ctx={plan_ctx}, n_threads=1)
llm = llama_cpp.Llama({str(path)!r}, n_ctx=plan.n_ctx, n_threads=1, verbose=False,
                      **(rope_kwargs(plan, llama_cpp) if {rope} else {{}}))
llm.eval({prompt!r})
row = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
print(json.dumps([float(row[i]) for i in range(llm.n_vocab())]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_yarn_metadata_is_not_applied_within_the_unscaled_context(tmp_path: Path) -> None:
    """A "128K" GGUF (YaRN ×4 in its metadata) loaded at 4,096 tokens computes exactly what the same
    weights without the metadata compute; left to llama.cpp, its metadata scaling would apply."""
    kwargs = dict(n_layers=2, n_embd=256, n_ff=512, n_words=300, seed=7)
    plain = write_benchmark_gguf(tmp_path / "plain.gguf", **kwargs)
    scaled = write_benchmark_gguf(
        tmp_path / "yarn.gguf", yarn=(4.0, 32_768), context_length=131_072, **kwargs
    )
    prompt = list(range(5, 200, 3))  # positions matter for rope: a few dozen tokens
    reference = _logits(plain, 4096, prompt)
    assert _logits(scaled, 4096, prompt) == pytest.approx(reference, abs=1e-4)
    # Without naming the rope type (as before), llama.cpp applies the file's YaRN ×4.
    assert _logits(scaled, 4096, prompt, rope=False) != pytest.approx(reference, abs=1e-4)
