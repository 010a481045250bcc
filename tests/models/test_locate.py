"""--model accepts a path or the name of a GGUF in the models dir."""

from __future__ import annotations

from pathlib import Path

from app.models.locate import models_dir, resolve_model


def test_paths_pass_through(tmp_path: Path) -> None:
    f = tmp_path / "x.gguf"
    f.write_bytes(b"")
    assert resolve_model(str(f)) == str(f)
    assert resolve_model("/nowhere/missing.gguf") == "/nowhere/missing.gguf"


def test_names_find_files_in_the_models_dir() -> None:
    folder = models_dir()
    (folder / "Qwen3-235B-A22B").mkdir(parents=True)
    (folder / "Qwen3-8B-Q4_K_M.gguf").write_bytes(b"")
    (folder / "Qwen3-8B.gguf").write_bytes(b"")
    for part in (1, 2):
        (folder / "Qwen3-235B-A22B" / f"Qwen3-235B-A22B-Q4_K_M-0000{part}-of-00002.gguf").write_bytes(b"")
    assert resolve_model("qwen3-8b") == str(folder / "Qwen3-8B.gguf")  # exact stem first
    assert resolve_model("Qwen3-8B-Q4") == str(folder / "Qwen3-8B-Q4_K_M.gguf")
    assert resolve_model("Qwen3-235B").endswith("-00001-of-00002.gguf")
    assert resolve_model("Qwen3-32B") == "Qwen3-32B"  # unknown: the engine says it is missing
