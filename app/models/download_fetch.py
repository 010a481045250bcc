"""The child process of a :class:`app.models.download.Download`: each file over plain HTTP into
``.part``, resumable across processes, verified before it gets its name (see that module's docstring)."""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import signal
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from app.backend.lifeline import die_with_parent
from app.models.download import (
    CHUNK,
    REPORT_EVERY_S,
    RESUME_LOST,
    Job,
    drop_legacy_cache,
    local_path,
    part_path,
    sidecar_path,
)
from app.models.hub import RemoteFile, quiet_hub
from app.models.hub_errors import ChecksumMismatchError, ConnectionDroppedError, DiskFullError, translate
from app.privacy import allow_hub_for_this_process

log = logging.getLogger("qwendesk.download")


# --- the child process -----------------------------------------------------------------------------


def child_main(job: Job, conn: Connection) -> None:
    """Fetch every file not yet complete, reporting ("bytes", i, n), ("file_done", i), ("done",)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (it pauses)
    die_with_parent()  # the .part stays; a later run resumes it
    allow_hub_for_this_process()  # this process exists because the user asked for a download
    quiet_hub()
    what = job.repo
    try:
        for i, f in enumerate(job.files):
            what = f"{job.repo}/{f.path}"
            final = local_path(job.repo, f.path, Path(job.root))
            if not final.is_file():
                _fetch(job, f, final, _Reporter(conn, i))
            conn.send(("file_done", i))
        drop_legacy_cache(job.repo, Path(job.root))
        conn.send(("done",))
    except Exception as exc:
        err = translate(exc, what, job.endpoint)
        conn.send(("error", err.kind, err.message))
    finally:
        conn.close()


class _Reporter:
    """Sends the bytes on disk for one file, at most every REPORT_EVERY_S."""

    def __init__(self, conn: Connection, index: int) -> None:
        self.conn, self.index, self.last = conn, index, 0.0

    def __call__(self, n: int, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last >= REPORT_EVERY_S:
            self.conn.send(("bytes", self.index, n))
            self.last = now

    def warn(self, text: str) -> None:
        self.conn.send(("warning", text))


def _fetch(job: Job, f: RemoteFile, final: Path, report: _Reporter) -> None:
    """One file through ``resolve`` + Range into ``.part``, whether or not the Hub says it is Xet-backed."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    url = hf_hub_url(job.repo, f.path, revision=job.revision, endpoint=job.endpoint)
    meta = get_hf_file_metadata(url, endpoint=job.endpoint)  # 404 / gated / unreachable, before any write
    final.parent.mkdir(parents=True, exist_ok=True)
    _PlainFetch(job, f, final, url, meta.etag, report).run()


def _mismatch(repo: str, f: RemoteFile) -> str:
    return (
        f"{repo}/{f.path}: the downloaded file's SHA-256 does not match the Hub's ({f.sha256}); "
        "the partial file was deleted, download it again."
    )


class _Dropped(Exception):
    """The response ended before the file did."""


class _PlainFetch:
    """One file over plain HTTP into ``.part``, resumable across processes."""

    def __init__(self, job: Job, f: RemoteFile, final: Path, url: str, etag: str | None, report: _Reporter):
        self.job, self.f, self.final, self.url, self.etag, self.report = job, f, final, url, etag, report
        self.part, self.side = part_path(final), sidecar_path(final)
        self.hasher = hashlib.sha256()
        self.offset = 0

    def run(self) -> None:
        self._adopt_part()
        attempts = 0
        while self.offset < self.f.size:
            start = self.offset
            try:
                self._get()
                if self.offset < self.f.size:
                    raise _Dropped(f"the response ended at byte {self.offset:,} of {self.f.size:,}")
            except Exception as exc:
                if not _is_drop(exc):
                    raise
                attempts = 1 if self.offset > start else attempts + 1  # progress resets the count
                if attempts > self.job.retries:
                    raise ConnectionDroppedError(
                        f"The server keeps dropping the connection for {self.job.repo}/{self.f.path} "
                        f"(at {self.offset:,} of {self.f.size:,} bytes, kept in {self.part.name}); "
                        "run the download again later to resume."
                    ) from None
                time.sleep(self.job.backoff_s * 2 ** max(attempts - 1, 0))
        self.report(self.offset, force=True)
        if self.offset > self.f.size or (self.f.sha256 and self.hasher.hexdigest() != self.f.sha256):
            self.part.unlink(missing_ok=True)
            self.side.unlink(missing_ok=True)
            raise ChecksumMismatchError(_mismatch(self.job.repo, self.f))
        os.replace(self.part, self.final)
        try:
            self.side.unlink(missing_ok=True)
        except OSError as exc:  # the model is whole; a stale note next to it is only clutter
            log.warning("cannot remove %s: %s", self.side, exc)

    def _adopt_part(self) -> None:
        """Keep a .part from an earlier run if its sidecar describes this same file; hash what it holds."""
        try:
            meta = json.loads(self.side.read_text(encoding="utf-8"))
            same = meta.get("size") == self.f.size and meta.get("sha256") == self.f.sha256
        except (OSError, ValueError, AttributeError):
            same = False
        if not same or not self.part.is_file() or self.part.stat().st_size > self.f.size:
            self.part.unlink(missing_ok=True)
            return
        with self.part.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                self.hasher.update(chunk)
                self.offset += len(chunk)
                self.report(self.offset)

    def _restart(self) -> None:
        self.hasher = hashlib.sha256()
        self.offset = 0
        self.part.unlink(missing_ok=True)

    def _get(self) -> None:
        import httpx2
        from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

        headers = build_hf_headers()
        headers["Accept-Encoding"] = "identity"
        if self.offset:
            headers["Range"] = f"bytes={self.offset}-"
        timeout = httpx2.Timeout(30.0, read=60.0)
        with get_session().stream(
            "GET", self.url, headers=headers, timeout=timeout, follow_redirects=True
        ) as r:
            if r.status_code == 416 and self.offset:
                self._restart()  # the server has fewer bytes than our part: start over
                return
            if r.status_code >= 400:
                r.read()
                hf_raise_for_status(r)
            if self.offset and r.status_code != 206:
                self._restart()  # the server ignored the Range header
            etag = r.headers.get("X-Linked-Etag") or r.headers.get("ETag") or self.etag
            self._write_sidecar(etag)
            # Unbuffered: what write() returned is on disk, so a full disk (ENOSPC) mid-chunk
            # leaves a .part whose bytes are all counted and hashed, ready to resume.
            with self.part.open("ab", buffering=0) as out:
                for chunk in r.iter_bytes():  # as received: a drop loses nothing
                    self._append(out, memoryview(chunk))
                    self.report(self.offset)
                    if self.offset > self.f.size:
                        return

    def _append(self, out: Any, data: memoryview) -> None:
        while data:
            try:
                n = out.write(data)
            except OSError as exc:
                if exc.errno == errno.ENOSPC:
                    raise DiskFullError(
                        f"The disk filled up while downloading {self.f.path} "
                        f"({self.offset:,} of {self.f.size:,} bytes kept); free some space and resume."
                    ) from None
                raise
            self.hasher.update(data[:n])
            self.offset += n
            data = data[n:]

    def _write_sidecar(self, etag: str | None) -> None:
        """The note that lets a later run resume this .part; without it the download still completes,
        but an interruption starts it over, and the user is told so."""
        data = {"size": self.f.size, "sha256": self.f.sha256, "url": self.url, "etag": etag}
        try:
            self.side.write_text(json.dumps(data), encoding="utf-8")
        except OSError as exc:
            log.warning("cannot write %s: %s", self.side, exc)
            self.report.warn(RESUME_LOST.format(name=self.side.name, reason=exc.strerror or exc))


def _is_drop(exc: BaseException) -> bool:
    import httpx2

    return isinstance(
        exc, (_Dropped, httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.ReadTimeout, httpx2.WriteError)
    )
