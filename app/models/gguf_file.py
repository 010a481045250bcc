"""Read and check a GGUF file's header before llama.cpp ever sees it.

Malformed GGUFs have caused heap overflows in llama.cpp's loader, so the file
is checked here, in the caller's process, with the ``gguf`` package: magic,
version, sane counts, metadata that parses, tensor data inside the file, a
tokenizer, and an architecture that is a text-generating model. Every problem
is a :class:`ModelFileError` that names the file and what is wrong with it.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.backend.errors import ModelFileError, ModelNotFoundError

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
MAX_TENSORS = 1_000_000
MAX_KV = 100_000
# Smallest possible encodings: a KV pair is a key length (8) + a type (4) + a
# value (≥ 1); a tensor info is a name length (8) + n_dims (4) + type (4) + offset (8).
MIN_KV_BYTES = 13
MIN_TENSOR_INFO_BYTES = 24

# Architectures that do not generate text: vision/audio encoders, embedding-only
# encoders. (Decoder LLMs used for embeddings, like Qwen3-Embedding, are "qwen3".)
NON_LLM_ARCHITECTURES = frozenset(
    {
        "clip",
        "clip-vision",
        "siglip",
        "mmproj",
        "whisper",
        "bert",
        "nomic-bert",
        "nomic-bert-moe",
        "jina-bert-v2",
        "jina-bert-v3",
        "neo-bert",
        "modern-bert",
        "t5encoder",
        "wavtokenizer-dec",
    }
)
QWEN3_ARCHITECTURES = frozenset({"qwen3", "qwen3moe"})
_SPLIT_NAME = re.compile(r"^(?P<stem>.*)-(?P<part>\d{5})-of-(?P<count>\d{5})\.gguf$")


@dataclass(frozen=True)
class GGUFInfo:
    """What QwenDesk needs from a GGUF header (numbers are None when absent)."""

    path: Path
    file_size: int  # all parts of a split model together
    version: int
    architecture: str
    name: str | None
    size_label: str | None
    block_count: int
    context_length: int | None
    embedding_length: int | None
    head_count: int | None
    head_count_kv: int | None
    key_length: int | None
    expert_count: int | None
    expert_used_count: int | None
    rope_scaling_type: str | None
    rope_scaling_factor: float | None
    rope_scaling_orig_ctx: int | None
    file_type: int | None
    chat_template: str | None
    vocab_size: int
    bos_token: str
    eos_token: str
    tensor_bytes: int  # the weights, in every part of a split model
    split_count: int
    feed_forward_length: int | None = None
    expert_feed_forward_length: int | None = None  # MoE (qwen3moe): each expert's FFN width

    @property
    def is_qwen3(self) -> bool:
        return self.architecture in QWEN3_ARCHITECTURES


def read_gguf_info(path: str | Path) -> GGUFInfo:
    """Check ``path`` and return its header facts, or raise ModelFileError."""
    p = Path(path).expanduser()
    if not p.exists():
        raise ModelNotFoundError(f"Model file not found: {p}")
    if not p.is_file():
        raise ModelFileError(f"{p} is not a file.")
    size = p.stat().st_size
    version = _check_fixed_header(p, size)
    reader = _open_reader(p)
    fields = {name: f for name, f in reader.fields.items()}

    def get(key: str) -> Any:
        f = fields.get(key)
        if f is None:
            return None
        try:
            return f.contents()
        except Exception:  # a value that does not decode is as bad as a missing one
            raise ModelFileError(f"{p}: metadata value {key!r} is corrupt.") from None

    arch = get("general.architecture")
    if not isinstance(arch, str) or not arch:
        raise ModelFileError(f"{p}: no general.architecture in the metadata; this is not a model GGUF.")
    if arch in NON_LLM_ARCHITECTURES:
        raise ModelFileError(
            f"{p}: architecture {arch!r} is not a text-generation model "
            "(it is an encoder or a projector, e.g. for vision or embeddings)."
        )
    block_count = get(f"{arch}.block_count")
    if not isinstance(block_count, int) or block_count <= 0:
        raise ModelFileError(f"{p}: no {arch}.block_count; not a language model llama.cpp can run.")
    if block_count > 10_000:
        raise ModelFileError(f"{p}: {arch}.block_count = {block_count} is absurd.")

    tokens = fields.get("tokenizer.ggml.tokens")
    tok_model = get("tokenizer.ggml.model")
    if tokens is None or not tok_model:
        raise ModelFileError(f"{p}: the file has no tokenizer (tokenizer.ggml.model / tokens missing).")
    vocab_size = len(tokens.data)
    if vocab_size == 0:
        raise ModelFileError(f"{p}: the tokenizer's vocabulary is empty.")

    tensor_bytes = _tensor_bytes(p, reader, size)
    split_count = get("split.count") or 1
    if split_count > 1:
        # The weights are spread over every part: count them all, or a 235B model looks
        # like a fifth of itself to the fit estimate and the automatic GPU layers.
        for part in _check_split_parts(p, int(split_count)):
            part_size = part.stat().st_size
            _check_fixed_header(part, part_size)
            tensor_bytes += _tensor_bytes(part, _open_reader(part), part_size)
            size += part_size
    elif not reader.tensors:
        raise ModelFileError(f"{p}: the file holds no tensors.")

    def token_text(key: str) -> str:
        tid = get(key)
        if isinstance(tid, int) and 0 <= tid < vocab_size:
            text = tokens.contents(tid) if hasattr(tokens, "contents") else None
            return text if isinstance(text, str) else ""
        return ""

    def num(key: str) -> Any:
        v = get(key)
        return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    head_count = num(f"{arch}.attention.head_count")
    embd = num(f"{arch}.embedding_length")
    key_length = num(f"{arch}.attention.key_length")
    if key_length is None and head_count and embd:
        key_length = embd // head_count
    template = get("tokenizer.chat_template")
    return GGUFInfo(
        path=p,
        file_size=size,
        version=version,
        architecture=arch,
        name=get("general.name"),
        size_label=get("general.size_label"),
        block_count=block_count,
        context_length=num(f"{arch}.context_length"),
        embedding_length=embd,
        head_count=head_count,
        head_count_kv=num(f"{arch}.attention.head_count_kv") or head_count,
        key_length=key_length,
        expert_count=num(f"{arch}.expert_count"),
        expert_used_count=num(f"{arch}.expert_used_count"),
        rope_scaling_type=get(f"{arch}.rope.scaling.type"),
        rope_scaling_factor=num(f"{arch}.rope.scaling.factor"),
        rope_scaling_orig_ctx=num(f"{arch}.rope.scaling.original_context_length"),
        file_type=num("general.file_type"),
        chat_template=template if isinstance(template, str) and template.strip() else None,
        vocab_size=vocab_size,
        bos_token=token_text("tokenizer.ggml.bos_token_id"),
        eos_token=token_text("tokenizer.ggml.eos_token_id"),
        tensor_bytes=tensor_bytes,
        split_count=int(split_count),
        feed_forward_length=num(f"{arch}.feed_forward_length"),
        expert_feed_forward_length=num(f"{arch}.expert_feed_forward_length"),
    )


def _check_fixed_header(p: Path, size: int) -> int:
    """Magic, version and counts, read by hand so absurd values never reach a parser."""
    with p.open("rb") as f:
        head = f.read(24)
    if len(head) < 4 or head[:4] != GGUF_MAGIC:
        found = head[:4]
        raise ModelFileError(
            f"{p} is not a GGUF file (bad magic {found!r}, expected b'GGUF')"
            + ("; it is empty." if size == 0 else ".")
        )
    if len(head) < 24:
        raise ModelFileError(f"{p}: the file is truncated inside the GGUF header ({size} bytes).")
    version, n_tensors, n_kv = struct.unpack("<IQQ", head[4:24])
    if version not in SUPPORTED_VERSIONS:
        if struct.unpack(">I", head[4:8])[0] in SUPPORTED_VERSIONS:
            raise ModelFileError(f"{p} is a big-endian GGUF; llama.cpp needs a little-endian one.")
        raise ModelFileError(f"{p}: GGUF version {version} is not supported (expected 2 or 3).")
    room = size - 24
    if n_tensors > MAX_TENSORS or n_tensors * MIN_TENSOR_INFO_BYTES > room:
        raise ModelFileError(f"{p}: absurd tensor count {n_tensors:,} for a file of {size:,} bytes.")
    if n_kv > MAX_KV or n_kv * MIN_KV_BYTES > room:
        raise ModelFileError(f"{p}: absurd metadata count {n_kv:,} for a file of {size:,} bytes.")
    return int(version)


def _open_reader(p: Path) -> Any:
    from gguf import GGUFReader  # imported late: numpy + gguf cost ~0.2 s

    try:
        return GGUFReader(p, "r")
    except (ValueError, IndexError, OverflowError, struct.error, UnicodeDecodeError, MemoryError) as exc:
        raise ModelFileError(
            f"{p}: the GGUF metadata is corrupt or the file is truncated ({type(exc).__name__}: {exc})."
        ) from None


def _tensor_bytes(p: Path, reader: Any, size: int) -> int:
    """The tensor data of one file, each tensor checked to lie inside it."""
    total = 0
    for t in reader.tensors:
        end = int(t.data_offset) + int(t.n_bytes)
        if end > size:
            raise ModelFileError(
                f"{p}: the file is truncated: tensor {t.name!r} ends at byte {end:,} "
                f"but the file has {size:,} bytes."
            )
        total += int(t.n_bytes)
    return total


def _check_split_parts(p: Path, count: int) -> list[Path]:
    """The other parts of a split model (2 to ``count``), all present next to the first."""
    m = _SPLIT_NAME.match(p.name)
    if not m or int(m["part"]) != 1:
        raise ModelFileError(
            f"{p} is part of a split model ({count} parts); "
            f"open the first part (…-00001-of-{count:05d}.gguf)."
        )
    missing = [
        f"{m['stem']}-{i:05d}-of-{count:05d}.gguf"
        for i in range(2, count + 1)
        if not (p.parent / f"{m['stem']}-{i:05d}-of-{count:05d}.gguf").is_file()
    ]
    if missing:
        raise ModelFileError(f"{p}: split model parts missing next to it: {', '.join(missing)}.")
    return [p.parent / f"{m['stem']}-{i:05d}-of-{count:05d}.gguf" for i in range(2, count + 1)]
