"""GGUF files are checked before llama.cpp sees them; every bad case names file and problem."""

from __future__ import annotations

import struct
from pathlib import Path

import gguf
import numpy as np
import pytest

from app.backend.errors import ModelFileError, ModelNotFoundError
from app.models.gguf_file import read_gguf_info


def write_gguf(
    path: Path,
    arch: str,
    *,
    tokenizer: bool = True,
    block_count: int | None = 2,
    split: int = 0,
    template: str | None = None,
) -> Path:
    """A tiny GGUF with just what the header checks look at."""
    w = gguf.GGUFWriter(str(path), arch)
    if template:
        w.add_chat_template(template)
    if block_count is not None:
        w.add_block_count(block_count)
    if tokenizer:
        w.add_tokenizer_model("gpt2")
        w.add_token_list(["a", "b"])
    if split:
        w.add_uint16("split.count", split)
    w.add_tensor("token_embd.weight", np.zeros((2, 4), np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def test_good_file(scripted_model: Path) -> None:
    info = read_gguf_info(scripted_model)
    assert info.architecture == "qwen3" and info.is_qwen3
    assert info.block_count == 2
    assert info.chat_template and "enable_thinking" in info.chat_template
    assert info.eos_token == "<|im_end|>"
    assert info.context_length == 40_960
    assert info.tensor_bytes > 0


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="not found"):
        read_gguf_info(tmp_path / "nope.gguf")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="not a file"):
        read_gguf_info(tmp_path)


def test_bad_magic(tmp_path: Path) -> None:
    p = tmp_path / "model.gguf"
    p.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(ModelFileError, match=r"model\.gguf is not a GGUF file \(bad magic"):
        read_gguf_info(p)


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.gguf"
    p.write_bytes(b"")
    with pytest.raises(ModelFileError, match="empty"):
        read_gguf_info(p)


@pytest.mark.parametrize("keep", [12, 200, 3000, -1000])
def test_truncated(tmp_path: Path, scripted_model: Path, keep: int) -> None:
    data = scripted_model.read_bytes()
    p = tmp_path / "cut.gguf"
    p.write_bytes(data[:keep])
    with pytest.raises(ModelFileError, match=r"truncated|corrupt|absurd") as info:
        read_gguf_info(p)
    assert str(p) in info.value.message


@pytest.mark.parametrize(
    ("tensors", "kvs"),
    [(2**60, 3), (3, 2**40), (10_000_000, 3)],
)
def test_absurd_counts(tmp_path: Path, tensors: int, kvs: int) -> None:
    p = tmp_path / "absurd.gguf"
    p.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, tensors, kvs) + bytes(64))
    with pytest.raises(ModelFileError, match="absurd"):
        read_gguf_info(p)


@pytest.mark.parametrize("version", [1, 99])
def test_unsupported_version(tmp_path: Path, version: int) -> None:
    p = tmp_path / "v.gguf"
    p.write_bytes(b"GGUF" + struct.pack("<IQQ", version, 0, 0))
    with pytest.raises(ModelFileError, match=f"version {version} is not supported"):
        read_gguf_info(p)


def test_big_endian(tmp_path: Path) -> None:
    p = tmp_path / "be.gguf"
    p.write_bytes(b"GGUF" + struct.pack(">IQQ", 3, 0, 0))
    with pytest.raises(ModelFileError, match="big-endian"):
        read_gguf_info(p)


def test_missing_tokenizer(tmp_path: Path) -> None:
    p = write_gguf(tmp_path / "notok.gguf", "qwen3", tokenizer=False)
    with pytest.raises(ModelFileError, match="no tokenizer"):
        read_gguf_info(p)


@pytest.mark.parametrize("arch", ["clip", "bert", "whisper"])
def test_non_llm_architecture(tmp_path: Path, arch: str) -> None:
    p = write_gguf(tmp_path / f"{arch}.gguf", arch)
    with pytest.raises(ModelFileError, match=f"architecture '{arch}' is not a text-generation model"):
        read_gguf_info(p)


def test_no_block_count(tmp_path: Path) -> None:
    p = write_gguf(tmp_path / "noblocks.gguf", "qwen3", block_count=None)
    with pytest.raises(ModelFileError, match="block_count"):
        read_gguf_info(p)


def test_split_model_needs_its_first_part_and_all_parts(tmp_path: Path) -> None:
    second = write_gguf(tmp_path / "Qwen3-235B-A22B-Q4_K_M-00002-of-00003.gguf", "qwen3", split=3)
    with pytest.raises(ModelFileError, match="open the first part"):
        read_gguf_info(second)
    first = write_gguf(tmp_path / "Qwen3-235B-A22B-Q4_K_M-00001-of-00003.gguf", "qwen3", split=3)
    with pytest.raises(ModelFileError, match=r"00003-of-00003.gguf"):
        read_gguf_info(first)
    write_gguf(tmp_path / "Qwen3-235B-A22B-Q4_K_M-00003-of-00003.gguf", "qwen3", split=3)
    assert read_gguf_info(first).split_count == 3
