"""The models dir: installed models, delete, import (validated with the GGUF checks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.models.download import part_path, sidecar_path
from app.models.hub_errors import HubNotFoundError, ImportModelError
from app.models.locate import models_dir, resolve_model
from app.models.store_dir import delete_model, import_model, installed_models, match_installed
from app.models.synthetic import write_scripted_gguf
from tests.models.test_gguf_file import write_gguf


def test_installed_models_skip_parts_and_incomplete_splits() -> None:
    repo_dir = models_dir() / "unsloth--Qwen3-8B-GGUF"
    (repo_dir / "BF16").mkdir(parents=True)
    (repo_dir / "Qwen3-8B-Q8_0.gguf").write_bytes(b"x" * 10)
    (repo_dir / "Qwen3-8B-Q4_K_M.gguf.part").write_bytes(b"x" * 5)
    (repo_dir / "BF16" / "Qwen3-8B-BF16-00001-of-00002.gguf").write_bytes(b"x" * 3)
    (repo_dir / ".cache").mkdir()
    (repo_dir / ".cache" / "junk.gguf").write_bytes(b"x")
    [model] = installed_models()
    assert (model.repo, model.quant, model.size, model.name) == (
        "unsloth/Qwen3-8B-GGUF",
        "Q8_0",
        10,
        "Qwen3-8B-Q8_0",
    )
    (repo_dir / "BF16" / "Qwen3-8B-BF16-00002-of-00002.gguf").write_bytes(b"x" * 4)
    split = [m for m in installed_models() if m.quant == "BF16"]
    assert len(split) == 1 and split[0].size == 7 and len(split[0].parts) == 2


def test_delete_removes_every_part_and_sidecar() -> None:
    folder = models_dir() / "Qwen--Qwen3-235B-A22B-GGUF" / "Q8_0"
    folder.mkdir(parents=True)
    first = folder / "Qwen3-235B-A22B-Q8_0-00001-of-00002.gguf"
    first.write_bytes(b"x" * 100)
    second = folder / "Qwen3-235B-A22B-Q8_0-00002-of-00002.gguf"
    part_path(second).write_bytes(b"x" * 30)
    sidecar_path(second).write_text("{}")
    assert [m.path for m in match_installed("Qwen3-235B-A22B:Q8_0")] == []  # incomplete: not installed
    assert delete_model(first) == 100 + 30 + 2
    assert not folder.parent.exists()  # empty folders go too
    with pytest.raises(HubNotFoundError):
        delete_model(first)


def test_import_links_a_qwen3_gguf(tmp_path: Path) -> None:
    src = write_scripted_gguf(tmp_path / "my-qwen3.gguf")
    result = import_model(src)
    assert result.notes == () and result.linked
    assert result.model.path == models_dir() / "imported" / "my-qwen3.gguf"
    assert result.model.path.read_bytes() == src.read_bytes()
    assert [m.path for m in installed_models()] == [result.model.path]
    assert resolve_model("my-qwen3") == str(result.model.path)
    with pytest.raises(ImportModelError, match="already in the models dir"):
        import_model(src)
    [hit] = match_installed("my-qwen3.gguf")
    assert delete_model(hit.path) == src.stat().st_size
    assert src.exists()  # only our link is gone


def test_import_refuses_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a gguf at all, just text" * 10)
    with pytest.raises(ImportModelError, match="not a GGUF file"):
        import_model(bad)
    with pytest.raises(ImportModelError, match="not found"):
        import_model(tmp_path / "missing.gguf")
    llama = write_gguf(tmp_path / "llama.gguf", "llama", template=None)
    with pytest.raises(ImportModelError, match="not Qwen3 and the file has no chat template"):
        import_model(llama)
    assert installed_models() == []


@pytest.mark.parametrize(
    ("template", "why"),
    [
        ("{% for m in messages %}{{ m.content }", "syntax error"),  # accepted before (issue 13.4)
        ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "stopped"),
        ("{{ raise_exception('no') }}", "refused the conversation"),
    ],
)
def test_import_refuses_a_template_that_cannot_render_a_chat(tmp_path: Path, template: str, why: str) -> None:
    src = write_scripted_gguf(tmp_path / "broken-template.gguf", chat_template=template)
    with pytest.raises(ImportModelError, match=why):
        import_model(src)
    assert installed_models() == []


def test_import_accepts_another_architecture_with_a_template_and_says_so(tmp_path: Path) -> None:
    llama = write_gguf(tmp_path / "llama.gguf", "llama", template="{{ messages[0]['content'] }}")
    result = import_model(llama)
    assert len(result.notes) == 1 and "Qwen3-only" in result.notes[0]
