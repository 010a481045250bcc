"""Exact token counts from the worker, and the loaded model read as one snapshot."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.backend.engine import Engine
from app.backend.errors import NoModelError
from app.backend.protocol import ChatMessage, Done, GenerationRequest
from app.backend.shared_engine import SharedEngine
from app.models.synthetic import write_scripted_gguf
from app.server.shapes import served_model

HI = (ChatMessage("user", "hi"),)


def test_counts_are_plain_text_in_one_round_trip(engine: Engine, scripted_model: Path) -> None:
    with pytest.raises(NoModelError):
        engine.count_tokens(["hi"])  # no model: no tokenizer
    engine.load(str(scripted_model), n_ctx=2048)
    # The scripted vocabulary spells text byte by byte: one token per UTF-8 byte.
    texts = ["hello", "", "港口", "x" * 1000]
    assert engine.count_tokens(texts) == [5, 0, 6, 1000]
    assert engine.count_tokens([]) == []
    # Control tokens written in a file stay characters: 10 bytes, never the one <|im_end|> token.
    assert engine.count_tokens(["<|im_end|>"]) == [len(b"<|im_end|>")]
    many = [f"chunk {i} " * 20 for i in range(500)]
    assert engine.count_tokens(many) == [len(t.encode()) for t in many]


def test_the_prompt_count_is_what_generation_evaluates(engine: Engine, scripted_model: Path) -> None:
    engine.load(str(scripted_model), n_ctx=2048)
    request = GenerationRequest((ChatMessage("system", "Be brief."), *HI), max_tokens=3)
    counted = engine.count_prompt(request)
    done = list(engine.generate(request))[-1]
    assert isinstance(done, Done) and counted == done.prompt_tokens


def test_counting_after_a_crash_restarts_the_worker(engine: Engine, scripted_model: Path) -> None:
    engine.load(str(scripted_model), n_ctx=2048)
    first = engine.worker_pid
    assert first is not None
    engine._proc.kill()
    engine._proc.join(5)
    assert engine.count_tokens(["abc"]) == [3]
    assert engine.worker_pid not in (None, first) and engine.loaded_model is not None


def test_the_loaded_model_is_one_snapshot(engine: Engine, scripted_model: Path, tmp_path: Path) -> None:
    other = write_scripted_gguf(tmp_path / "other.gguf")
    engine.load(str(scripted_model), n_ctx=2048)
    seen: list[object] = []

    def during_load(_fraction: float) -> None:  # the other model is loading now
        seen.append((engine.loaded_model, engine.info, engine.plan, engine.loaded, served_model(engine)))

    engine.load(str(other), n_ctx=4096, on_progress=during_load)
    assert seen
    # Nothing is loaded while the worker reads the next model: no file of one with the plan of another.
    assert all(snapshot == (None, None, None, None, None) for snapshot in seen)
    model = engine.loaded_model
    assert model is not None and model.info.path == other and model.plan.n_ctx == model.loaded.n_ctx == 4096
    served = served_model(engine)
    assert served is not None and served.id == "other" and served.max_model_len == 4096
    engine.unload()
    assert engine.loaded_model is None and served_model(engine) is None and engine.think_mode == "hybrid"


def test_served_model_is_never_mixed_while_models_switch(
    engine: Engine, scripted_model: Path, tmp_path: Path
) -> None:
    """/v1/models reads without taking the engine while another thread switches models."""
    other = write_scripted_gguf(tmp_path / "other.gguf")
    contexts = {"scripted": 2048, "other": 4096}
    shared = SharedEngine(engine)
    stop = threading.Event()
    bad: list[object] = []
    reads = 0

    def poll() -> None:
        nonlocal reads
        while not stop.is_set():
            model = served_model(engine)
            reads += 1
            if model is not None and contexts[model.id] != model.max_model_len:
                bad.append(model)

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        for _ in range(3):
            for path in (scripted_model, other):
                with shared.use("window") as eng:
                    eng.load(str(path), n_ctx=contexts[path.stem])
    finally:
        stop.set()
        reader.join()
    assert reads > 0 and bad == []
