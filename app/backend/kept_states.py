"""Conversations' KV cache kept between turns, switches and restarts (the worker's side).

After a turn the worker copies llama.cpp's sequence state (the KV cache of the tokens it has read)
into memory, most recently used first under a RAM cap, and a writer thread puts it on disk in the
data dir under a disk cap. When a conversation comes back (another conversation ran in between, or
the app was restarted) its state is read back and only the new tokens are evaluated.

A state is only ever restored into the model and load plan it was taken from (:func:`identity`:
the model file by path, size and modification time; the context, KV type, rope scaling and flash
attention; the llama-cpp-python version) and only for a prompt that starts with its tokens. Files
are checked before llama.cpp sees a byte: magic, sizes, identity and a CRC-32 of the tokens and the
state; anything else is dropped with a log line and the turn reads the prompt as if nothing was
kept.

File layout: ``QWDKV001`` · u32 header length · header JSON · tokens (int32, little-endian) ·
llama.cpp's sequence state. Writes go to a temporary file renamed into place, so a file is whole or
absent.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import queue
import shutil
import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.backend.protocol import StateKeeping

log = logging.getLogger("qwendesk.worker.states")

MAGIC = b"QWDKV001"
SUFFIX = ".qkv"
VERSION = 1
MAX_HEADER = 64 * 1024
MIN_GAIN = 32  # tokens a kept state must save over the warm context to be worth restoring
DISK_CAP_MAX = 8 << 30  # the default disk cap: min(this, 10 % of the disk's free space)
DISK_CAP_SHARE = 0.10


def identity(plan: Any, llama_cpp_version: str) -> dict[str, object]:
    """What a state depends on: restoring it anywhere else would give wrong answers."""
    st = os.stat(plan.model_path)
    return {
        "model": os.path.abspath(plan.model_path),
        "model_bytes": st.st_size,
        "model_mtime_ns": st.st_mtime_ns,
        "n_ctx": plan.n_ctx,
        "kv_cache_type": plan.kv_cache_type,
        "yarn_factor": plan.yarn_factor,
        "yarn_orig_ctx": plan.yarn_orig_ctx,
        "flash_attn": bool(plan.flash_attn),
        "llama_cpp": llama_cpp_version,
    }


def file_for(directory: str | Path, key: str) -> Path:
    """A conversation's state file (the key may hold any characters; the name holds hex only)."""
    return Path(directory) / f"c-{hashlib.sha256(key.encode()).hexdigest()[:40]}{SUFFIX}"


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def default_disk_cap(directory: Path, used: int) -> int:
    """min(8 GiB, 10 % of the free space, counting what the kept states hold as free)."""
    try:
        free = shutil.disk_usage(directory).free
    except OSError:
        return 0
    return int(min(DISK_CAP_MAX, DISK_CAP_SHARE * (free + used)))


@dataclass
class Kept:
    """One kept state: its tokens, and its bytes while they are in memory."""

    name: str  # the file's stem: c-<hash of the key> or p-<hash of the tokens>
    tokens: tuple[int, ...]
    data: bytearray | None = None  # None: on disk only
    path: Path | None = None


@dataclass(frozen=True)
class Found:
    """A kept state worth restoring for a prompt: ``shared`` of its tokens start the prompt."""

    kept: Kept
    shared: int
    source: str  # "memory" | "disk"


class StateFileError(Exception):
    """A state file that is not whole, not ours, or not for this model."""


def _header_bytes(header: dict[str, object]) -> bytes:
    raw = json.dumps(header, separators=(",", ":")).encode()
    return MAGIC + struct.pack("<I", len(raw)) + raw


def read_header(path: Path) -> tuple[dict[str, Any], tuple[int, ...], int]:
    """(header, tokens, offset of the state bytes); raises StateFileError for anything malformed."""
    size = path.stat().st_size
    with path.open("rb") as f:
        if f.read(8) != MAGIC:
            raise StateFileError("not a QwenDesk state file")
        (n,) = struct.unpack("<I", f.read(4) or b"\0\0\0\0")
        if not 0 < n <= MAX_HEADER:
            raise StateFileError("bad header length")
        try:
            header = json.loads(f.read(n))
        except ValueError:
            raise StateFileError("bad header") from None
        if not isinstance(header, dict) or header.get("version") != VERSION:
            raise StateFileError("unknown version")
        n_tokens, payload = header.get("n_tokens"), header.get("payload_bytes")
        if not isinstance(n_tokens, int) or not isinstance(payload, int) or n_tokens <= 0 or payload <= 0:
            raise StateFileError("bad sizes")
        offset = 12 + n + 4 * n_tokens
        if size != offset + payload:
            raise StateFileError(f"truncated or padded ({size:,} bytes, expected {offset + payload:,})")
        raw = f.read(4 * n_tokens)
    tokens = struct.unpack(f"<{n_tokens}i", raw)
    return header, tokens, offset


def read_state(path: Path, want: dict[str, object]) -> tuple[tuple[int, ...], bytearray]:
    """A state file's tokens and state bytes, verified whole and for ``want`` (the loaded model)."""
    header, tokens, offset = read_header(path)
    if header.get("identity") != want:
        raise StateFileError("taken with another model or load plan")
    data = bytearray(int(header["payload_bytes"]))
    with path.open("rb") as f:
        f.seek(offset)
        if f.readinto(data) != len(data):
            raise StateFileError("truncated")
    crc = zlib.crc32(data, zlib.crc32(struct.pack(f"<{len(tokens)}i", *tokens)))
    if crc != header.get("crc32"):
        raise StateFileError("checksum mismatch (corrupt)")
    return tokens, data


def write_state(
    path: Path, key: str | None, tokens: Sequence[int], data: bytearray, ident: dict[str, object]
) -> None:
    """Atomically: a temporary file in the same folder, flushed, renamed into place."""
    packed = struct.pack(f"<{len(tokens)}i", *tokens)
    header = {
        "version": VERSION,
        "identity": ident,
        "keyed": key is not None,
        "n_tokens": len(tokens),
        "payload_bytes": len(data),
        "crc32": zlib.crc32(data, zlib.crc32(packed)),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(_header_bytes(header))
            f.write(packed)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def disk_files(directory: Path) -> list[Path]:
    try:
        return [p for p in directory.iterdir() if p.suffix == SUFFIX and p.name[:2] in ("c-", "p-")]
    except OSError:
        return []


def enforce_disk_cap(directory: Path, cap: int | None, keep: Path | None = None) -> list[Path]:
    """Delete the least recently used files until the rest fit ``cap`` (None: the default cap)."""
    entries = []
    for p in disk_files(directory):
        try:
            st = p.stat()
        except OSError:
            continue
        entries.append((st.st_mtime_ns, st.st_size, p))
    used = sum(size for _, size, _ in entries)
    limit = default_disk_cap(directory, used) if cap is None else cap
    removed: list[Path] = []
    for _, size, p in sorted(entries):
        if used <= limit:
            break
        if p == keep and len(entries) - len(removed) == 1:
            break
        p.unlink(missing_ok=True)
        used -= size
        removed.append(p)
        log.info("kept state %s evicted (disk cap %s bytes)", p.name, f"{limit:,}")
    return removed


class StateWriter:
    """One thread that writes states to disk after the answer is out; a newer state for the same
    file replaces one still waiting."""

    def __init__(self) -> None:
        self._jobs: OrderedDict[Path, tuple[str | None, tuple[int, ...], bytearray, dict, int | None]]
        self._jobs = OrderedDict()
        self._lock = threading.Lock()
        self._wake: queue.Queue[None] = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._run, name="qwendesk-kv-writer", daemon=True)
        self._thread.start()

    def put(self, path: Path, key: str | None, tokens: tuple[int, ...], data: bytearray,
            ident: dict, cap: int | None) -> None:  # fmt: skip
        with self._lock:
            self._jobs.pop(path, None)
            self._jobs[path] = (key, tokens, data, ident, cap)
            self._idle.clear()
        self._wake.put(None)

    def drop(self, paths: Iterable[Path]) -> None:
        with self._lock:
            for p in paths:
                self._jobs.pop(p, None)

    def wait(self, timeout: float | None = None) -> bool:
        """True once nothing is waiting or being written."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            self._wake.get()
            while True:
                with self._lock:
                    if not self._jobs:
                        self._idle.set()
                        break
                    path, (key, tokens, data, ident, cap) = self._jobs.popitem(last=False)
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    limit = default_disk_cap(path.parent, 0) if cap is None else cap
                    if len(data) > limit:
                        log.warning("kept state %s not written: %s bytes is over the disk cap", path.name,
                                    f"{len(data):,}")  # fmt: skip
                        continue
                    write_state(path, key, tokens, data, ident)
                    enforce_disk_cap(path.parent, cap, keep=path)
                except OSError as exc:
                    log.warning("kept state %s not written: %s", path.name, exc)


class KeptStates:
    """The states kept for one loaded model: in memory (LRU under a RAM cap) and on disk."""

    def __init__(self, ident: dict[str, object], writer: StateWriter) -> None:
        self.ident = ident
        self.writer = writer
        self.keeping = StateKeeping(enabled=False)
        self._memory: OrderedDict[str, Kept] = OrderedDict()  # least recently used first
        self._disk_prefix: dict[Path, tuple[int, ...]] | None = None  # unkeyed files on disk, by tokens

    # ------------------------------------------------------------ settings

    def configure(self, keeping: StateKeeping, forget: Iterable[str] = ()) -> None:
        if keeping != self.keeping:
            if not keeping.enabled or keeping.directory != self.keeping.directory:
                self._disk_prefix = None
            if not keeping.enabled:
                self._memory.clear()
            self.keeping = keeping
            self._fit_memory()
        for key in forget:
            self.forget(key)

    def forget(self, key: str) -> None:
        name = self._name(key)
        self._memory.pop(name, None)
        if self.keeping.directory:
            path = file_for(self.keeping.directory, key)
            self.writer.drop([path])
            path.unlink(missing_ok=True)

    # -------------------------------------------------------------- lookup

    def find(self, key: str | None, prompt: Sequence[int], warm: int) -> Found | None:
        """The kept state that saves the most over the ``warm`` tokens the context already shares."""
        if not self.keeping.enabled:
            return None
        best: Found | None = None

        def consider(kept: Kept, source: str) -> None:
            nonlocal best
            shared = common_prefix(kept.tokens, prompt)
            if shared >= warm + MIN_GAIN and (best is None or shared > best.shared):
                best = Found(kept, shared, source)

        if key is not None:
            kept = self._memory.get(self._name(key))
            if kept is not None:
                consider(kept, "memory")
            elif self.keeping.directory:
                path = file_for(self.keeping.directory, key)
                try:
                    header, tokens, _ = read_header(path)
                    if header.get("identity") == self.ident:
                        consider(Kept(path.stem, tokens, None, path), "disk")
                except FileNotFoundError:
                    pass
                except (OSError, StateFileError, struct.error) as exc:
                    log.warning("kept state %s dropped: %s", path.name, exc)
                    path.unlink(missing_ok=True)
        for kept in list(self._memory.values()):
            if kept.name.startswith("p-"):
                consider(kept, "memory")
        if self.keeping.persist_unkeyed and self.keeping.directory:
            for path, tokens in self._prefix_files().items():
                if path.stem not in self._memory:
                    consider(Kept(path.stem, tokens, None, path), "disk")
        return best

    def load(self, found: Found) -> bytearray | None:
        """The state's bytes (read and checked from disk if need be); None if they cannot be used."""
        kept = found.kept
        if kept.data is not None:
            self._memory.move_to_end(kept.name)
            return kept.data
        assert kept.path is not None
        try:
            tokens, data = read_state(kept.path, self.ident)
        except (OSError, StateFileError, struct.error) as exc:
            log.warning("kept state %s dropped: %s", kept.path.name, exc)
            kept.path.unlink(missing_ok=True)
            if self._disk_prefix is not None:
                self._disk_prefix.pop(kept.path, None)
            return None
        if tokens != kept.tokens:  # replaced between the lookup and now: use what is there
            log.info("kept state %s changed while it was read; skipped", kept.path.name)
            return None
        with contextlib.suppress(OSError):
            os.utime(kept.path)  # recently used: the last to be evicted
        self._remember(Kept(kept.name, tokens, data, kept.path))
        return data

    def drop(self, found: Found) -> None:
        """llama.cpp refused these bytes: never offer them again."""
        self._memory.pop(found.kept.name, None)
        if found.kept.path is not None:
            found.kept.path.unlink(missing_ok=True)
            if self._disk_prefix is not None:
                self._disk_prefix.pop(found.kept.path, None)

    # --------------------------------------------------------------- keep

    def keep(self, key: str | None, tokens: Sequence[int], data: bytearray) -> None:
        """Keep a state just taken: in memory now, on disk by the writer thread."""
        if not self.keeping.enabled or not tokens:
            return
        toks = tuple(tokens)
        if key is None:
            digest = hashlib.sha256(struct.pack(f"<{len(toks)}i", *toks)).hexdigest()[:40]
            name = f"p-{digest}"
            # A longer state of the same conversation supersedes the ones it starts with.
            for old in [k for k in self._memory.values() if k.name.startswith("p-")]:
                if len(old.tokens) <= len(toks) and toks[: len(old.tokens)] == old.tokens:
                    self._memory.pop(old.name, None)
        else:
            name = self._name(key)
        directory = self.keeping.directory
        path = None
        persist = directory is not None and (key is not None or self.keeping.persist_unkeyed)
        if persist:
            assert directory is not None
            path = file_for(directory, key) if key is not None else Path(directory) / f"{name}{SUFFIX}"
            if key is None:
                self._supersede_prefix_files(toks, path)
            self.writer.put(path, key, toks, data, self.ident, self.keeping.disk_bytes)
        self._remember(Kept(name, toks, data, path))

    def _supersede_prefix_files(self, toks: tuple[int, ...], path: Path) -> None:
        files = self._prefix_files()
        for old, tokens in list(files.items()):
            if old != path and len(tokens) <= len(toks) and toks[: len(tokens)] == tokens:
                self.writer.drop([old])
                old.unlink(missing_ok=True)
                files.pop(old, None)
        files[path] = toks

    # ------------------------------------------------------------ internals

    def _name(self, key: str) -> str:
        return f"c-{hashlib.sha256(key.encode()).hexdigest()[:40]}"

    def _remember(self, kept: Kept) -> None:
        self._memory.pop(kept.name, None)
        self._memory[kept.name] = kept
        self._fit_memory()

    def _fit_memory(self) -> None:
        unkeyed = [k for k in self._memory.values() if k.name.startswith("p-")]
        for extra in unkeyed[: max(0, len(unkeyed) - self.keeping.unkeyed_entries)]:
            self._memory.pop(extra.name, None)
        used = sum(len(k.data) for k in self._memory.values() if k.data is not None)
        while used > self.keeping.ram_bytes and self._memory:
            _, old = self._memory.popitem(last=False)
            used -= len(old.data) if old.data is not None else 0

    def _prefix_files(self) -> dict[Path, tuple[int, ...]]:
        """Unkeyed states on disk for this model (read once per model, then kept up to date here)."""
        if self._disk_prefix is None:
            self._disk_prefix = {}
            if self.keeping.directory:
                for path in disk_files(Path(self.keeping.directory)):
                    if not path.name.startswith("p-"):
                        continue
                    try:
                        header, tokens, _ = read_header(path)
                    except (OSError, StateFileError, struct.error):
                        continue
                    if header.get("identity") == self.ident:
                        self._disk_prefix[path] = tokens
        return self._disk_prefix
