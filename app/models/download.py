"""Resumable, verified downloads of Hub GGUFs, in a child process that can be stopped at any byte.

Files land in ``models_dir()/<owner>--<repo>/<path in repo>``. The child
process (multiprocessing, spawn) fetches the files of one :class:`Download` in
order and reports progress through a pipe; pausing or cancelling terminates it,
resuming starts a new one that carries on from what is on disk. Nothing here
imports Qt: the window polls :meth:`Download.poll` from a timer, the CLI calls
:meth:`Download.run`.

Every file, Xet-backed or not, is fetched one way: a GET of the file's
``resolve`` URL (redirects followed) with ``Range: bytes=N-`` appends to
``<file>.part``; the sidecar ``<file>.part.json`` records the expected size,
SHA-256, URL and ETag, so a download cut off by a pause, a quit, a crash or a
reboot resumes in a later process where it stopped (a changed file on the Hub
discards the stale part). Dropped connections are retried with backoff; after
that the error says to resume later. When the last byte is in, the SHA-256 of
the whole file must equal the Hub's LFS SHA-256, or the part is deleted; only
then is ``.part`` renamed to the final name. So at any moment the models dir
holds, for a file, its verified final name, or our ``.part`` + ``.part.json``,
or nothing; cancel deletes the part. Headers (user agent, the token of the
user's ``hf auth login`` for gated repos) come from huggingface_hub's
``build_hf_headers`` and the connection from its shared httpx2 session.

Why not the Xet protocol (``hf_hub_download``, which uses ``hf_xet`` when the
HEAD metadata carries ``X-Xet-Hash`` and a ``xet-auth`` link, as the Hub's
files now do): the Hub documents that Xet-backed files stay downloadable by any
HTTP client through its Git LFS bridge ("Backward Compatibility with LFS": a
legacy client gets a single URL that serves the reconstructed file, so the web
interface and curl keep working), and huggingface_hub itself falls back to that
plain ``resolve`` GET, resuming with a Range header, when ``hf_xet`` is missing
or ``HF_HUB_DISABLE_XET`` is set. ``hf_hub_download(local_dir=...)`` on the other
hand names a file before our SHA-256 check, leaves ``.incomplete`` files under
``local_dir/.cache/`` when terminated (never resumed later) and caches chunks
outside the models dir; Xet's deduplication gains nothing for one GGUF fetched
once (the Hub's 50 GB file limit is also plain HTTP's; big GGUFs are split below
it). :func:`drop_legacy_cache` removes an earlier version's ``.cache`` folder.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import shutil
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from app.models.hub import GGUFEntry, RemoteFile, endpoint
from app.models.hub_errors import (
    DiskFullError,
    HubError,
    from_kind,
)
from app.models.locate import models_dir

DISK_MARGIN = 100 * 1024 * 1024  # keep this much free beyond the download itself
CHUNK = 1024 * 1024
RESUME_LOST = (
    "This download cannot resume if it is interrupted: its progress note {name} could not be written "
    "({reason}). It goes on; if it stops, it starts over."
)
REPORT_EVERY_S = 0.1
SPEED_WINDOW_S = 5.0


def repo_dir(repo: str, root: Path | None = None) -> Path:
    """``Qwen/Qwen3-8B-GGUF`` → ``<models dir>/Qwen--Qwen3-8B-GGUF``."""
    return (root or models_dir()) / repo.replace("/", "--")


def local_path(repo: str, path_in_repo: str, root: Path | None = None) -> Path:
    return repo_dir(repo, root) / path_in_repo


def part_path(final: Path) -> Path:
    return final.with_name(final.name + ".part")


def sidecar_path(final: Path) -> Path:
    return final.with_name(final.name + ".part.json")


def drop_legacy_cache(repo: str, root: Path | None = None) -> None:
    """Delete ``<repo folder>/.cache/huggingface`` (and ``.cache`` if that leaves it empty).

    Only ``hf_hub_download(local_dir=...)`` writes there: its bookkeeping and the
    ``.incomplete`` files an earlier version's Xet path left when it was paused or
    cancelled. Nothing writes there now, so it is never a download in progress.
    """
    cache = repo_dir(repo, root) / ".cache"
    shutil.rmtree(cache / "huggingface", ignore_errors=True)
    with contextlib.suppress(OSError):
        cache.rmdir()


def free_bytes(path: Path) -> int:
    """Free space where ``path`` is (or would be created); tests patch this."""
    probe = path
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def entry_state(entry: GGUFEntry, root: Path | None = None) -> str | None:
    """ "downloaded" when every part is complete, "partial" when some bytes are there, else None."""
    finals = [local_path(entry.repo, p.path, root) for p in entry.parts]
    if all(f.is_file() for f in finals):
        return "downloaded"
    if any(f.is_file() or part_path(f).is_file() for f in finals):
        return "partial"
    return None


@dataclass(frozen=True)
class Progress:
    """A snapshot of a download, for a progress bar."""

    state: str  # "idle", "running", "paused", "done", "failed", "cancelled"
    done_bytes: int
    total_bytes: int
    speed_bps: float  # over the last few seconds
    eta_s: float | None
    file: str | None  # the file being fetched (path in the repo)
    file_index: int
    file_count: int
    error: HubError | None = None
    warning: str | None = None  # it goes on, but the user should know (e.g. it cannot resume)

    @property
    def fraction(self) -> float:
        return self.done_bytes / self.total_bytes if self.total_bytes else 1.0


@dataclass(frozen=True)
class Job:
    """What the child process needs (picklable)."""

    repo: str
    files: tuple[RemoteFile, ...]
    root: str
    endpoint: str
    revision: str
    retries: int
    backoff_s: float


class Download:
    """Downloads ``files`` of ``repo``; start/pause/resume/cancel, poll for progress.

    ``retries`` and ``backoff_s`` govern reconnecting after a dropped connection
    (backoff doubles each time). ``root`` defaults to the models dir.
    """

    def __init__(
        self,
        repo: str,
        files: Sequence[RemoteFile],
        *,
        root: Path | None = None,
        revision: str = "main",
        retries: int = 3,
        backoff_s: float = 1.0,
    ) -> None:
        self.repo = repo
        self.files = tuple(files)
        self.root = root or models_dir()
        self.revision = revision
        self.retries = retries
        self.backoff_s = backoff_s
        self.state = "idle"
        self.error: HubError | None = None
        self.warning: str | None = None
        self._proc: Any = None
        self._conn: Connection | None = None
        self._finished: set[int] = set()
        self._index = 0
        self._current = 0
        self._samples: deque[tuple[float, int]] = deque()

    @classmethod
    def for_entry(cls, entry: GGUFEntry, **kwargs: Any) -> Download:
        return cls(entry.repo, entry.parts, **kwargs)

    @property
    def paths(self) -> list[Path]:
        """The final paths, in order (the first is what llama.cpp opens)."""
        return [local_path(self.repo, f.path, self.root) for f in self.files]

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    # --- control -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Start or resume; raises DiskFullError at once if the rest cannot fit."""
        if self.state in ("running", "done"):
            return
        self._scan_disk()
        if len(self._finished) == len(self.files):
            self.state = "done"
            return
        need = self._remaining_bytes()
        free = free_bytes(self.root)
        if free < need + DISK_MARGIN:
            raise DiskFullError(
                f"Not enough disk space for {self.repo}: {_gb(need)} still to download (+ {_gb(DISK_MARGIN)} "
                f"margin) but {_gb(free)} free in {self.root}."
            )
        job = Job(
            self.repo, self.files, str(self.root), endpoint(), self.revision, self.retries, self.backoff_s
        )
        ctx = multiprocessing.get_context("spawn")
        reader, writer = ctx.Pipe(duplex=False)
        from app.models.download_fetch import child_main  # the child's side, imported where it runs

        self._proc = ctx.Process(target=child_main, args=(job, writer), daemon=True)
        self._proc.start()
        writer.close()
        self._conn = reader
        self.state, self.error = "running", None
        self._samples.clear()

    resume = start

    def pause(self) -> None:
        """Stop the child now; the bytes written so far stay in the .part file."""
        if self.state == "running":
            self._stop_child()
            self.state = "paused"

    def cancel(self) -> None:
        """Stop and delete what this download wrote, unless it is already complete."""
        self._stop_child()
        if self.state == "done":
            return
        for final in self.paths:
            for p in (part_path(final), sidecar_path(final), final):
                p.unlink(missing_ok=True)
        drop_legacy_cache(self.repo, self.root)
        self.state = "cancelled"

    def close(self) -> None:
        """Pause if running (a later Download of the same files resumes)."""
        self.pause()

    def __enter__(self) -> Download:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- progress ----------------------------------------------------------------------------------

    def poll(self) -> Progress:
        """Take in what the child reported; never blocks."""
        if self._conn is not None:
            try:
                while self._conn.poll():
                    self._handle(self._conn.recv())
            except (EOFError, OSError):
                pass
            if self._proc is not None and not self._proc.is_alive():
                code = self._proc.exitcode
                self._stop_child()
                if self.state == "running":
                    self.state = "failed"
                    self.error = HubError(
                        f"The download process stopped unexpectedly (exit code {code}); "
                        "run it again to resume."
                    )
        return self._progress()

    def run(self, callback: Callable[[Progress], None] | None = None, interval: float = 0.1) -> list[Path]:
        """Download to the end (blocking); returns the final paths or raises the HubError.

        Ctrl-C (KeyboardInterrupt) pauses the download and is re-raised.
        """
        try:
            self.start()
            while True:
                progress = self.poll()
                if callback is not None:
                    callback(progress)
                if progress.state == "done":
                    return self.paths
                if progress.state == "failed":
                    assert self.error is not None
                    raise self.error
                if progress.state != "running":
                    raise HubError(f"The download was {progress.state}.")
                time.sleep(interval)
        except KeyboardInterrupt:
            self.pause()
            raise

    # --- internals ---------------------------------------------------------------------------------

    def _handle(self, msg: tuple[Any, ...]) -> None:
        what = msg[0]
        if what == "bytes":
            self._index, self._current = msg[1], msg[2]
        elif what == "file_done":
            self._finished.add(msg[1])
            self._current = 0
        elif what == "done":
            self.state = "done"
        elif what == "error":
            self.state = "failed"
            self.error = from_kind(msg[1], msg[2])
        elif what == "warning":
            self.warning = msg[1]

    def _scan_disk(self) -> None:
        self._finished = {i for i, p in enumerate(self.paths) if p.is_file()}
        pending = [i for i in range(len(self.files)) if i not in self._finished]
        self._index = pending[0] if pending else len(self.files) - 1
        part = part_path(self.paths[self._index]) if pending else None
        self._current = part.stat().st_size if part is not None and part.is_file() else 0

    def _remaining_bytes(self) -> int:
        left = 0
        for i, (f, final) in enumerate(zip(self.files, self.paths)):
            if i in self._finished:
                continue
            part = part_path(final)
            have = part.stat().st_size if part.is_file() else 0
            left += max(f.size - have, 0)
        return left

    def _done_bytes(self) -> int:
        done = sum(self.files[i].size for i in self._finished)
        return done + (self._current if self._index not in self._finished else 0)

    def _progress(self) -> Progress:
        done, total = self._done_bytes(), self.total_bytes
        now = time.monotonic()
        speed = 0.0
        if self.state == "running":
            self._samples.append((now, done))
            while len(self._samples) > 2 and now - self._samples[0][0] > SPEED_WINDOW_S:
                self._samples.popleft()
            t0, b0 = self._samples[0]
            speed = (done - b0) / (now - t0) if now - t0 > 0.2 else 0.0
        eta = (total - done) / speed if speed > 0 else None
        index = min(self._index, len(self.files) - 1)
        return Progress(
            self.state, done, total, speed, eta, self.files[index].path, index, len(self.files), self.error,
            self.warning,
        )  # fmt: skip

    def _stop_child(self) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if proc is not None:
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
                if proc.is_alive():
                    proc.kill()
            proc.join()
            proc.close()
        if conn is not None:
            conn.close()


def _gb(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e8 else f"{n / 1e6:.1f} MB"
