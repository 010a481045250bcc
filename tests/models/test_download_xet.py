"""Xet-backed files (the real Hub's default): verified before their final name, resumable, no leftovers.

The fake Hub marks its files Xet-backed the way the Hub does (``X-Xet-Hash`` and a
``xet-auth`` link on ``resolve``) and serves the bytes over plain HTTP, as the Hub's
LFS bridge does. No Xet server can run here, so the Xet branch is tested at its
boundary: in the download child, ``huggingface_hub.hf_hub_download`` is replaced by a
stand-in that behaves like the library with ``local_dir`` (writes a ``.incomplete``
under ``local_dir/.cache/huggingface/download/`` and moves it to the final name) and
``hf_xet`` counts as installed. The downloader must never call it.

The child is a separate (spawned) process, so the stand-in goes in through a
``sitecustomize`` module on its ``PYTHONPATH``; the same module can hold the child
forever in the SHA-256 of the whole file, to kill it right there.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.models.download import Download, Progress, part_path, repo_dir, sidecar_path
from app.models.hub import find_entry
from app.models.hub_errors import ChecksumMismatchError, ConnectionDroppedError
from app.models.locate import models_dir
from app.privacy import hub_access
from tests.models.conftest import NAME, REPO
from tests.models.fake_hub import COMMIT, FakeHub, sha256

_SITECUSTOMIZE = '''
import os

if os.environ.get("QWENDESK_TEST_XET_CALLS"):
    import hashlib
    import shutil
    import time
    import urllib.request
    import uuid

    import huggingface_hub
    from huggingface_hub import constants
    from huggingface_hub.utils import _runtime

    def hf_hub_download(repo_id, filename, *, revision="main", local_dir=None, endpoint=None,
                        tqdm_class=None, **kwargs):
        """Like the library with local_dir: a .incomplete in .cache, moved to the final name when done."""
        with open(os.environ["QWENDESK_TEST_XET_CALLS"], "a") as fh:
            fh.write(filename + "\\n")
        endpoint = endpoint or constants.ENDPOINT
        download = os.path.join(local_dir, ".cache", "huggingface", "download")
        os.makedirs(download, exist_ok=True)
        tmp = os.path.join(download, f"{uuid.uuid4().hex[:8]}.etag.{uuid.uuid4().hex[:8]}.incomplete")
        with urllib.request.urlopen(f"{endpoint}/{repo_id}/resolve/{revision}/{filename}") as r:
            total = int(r.headers["Content-Length"])
            bar = tqdm_class(total=total, disable=False) if tqdm_class else None
            with open(tmp, "wb") as out:
                while chunk := r.read(64 * 1024):
                    out.write(chunk)
                    out.flush()
                    if bar is not None:
                        bar.update(len(chunk))
        final = os.path.join(local_dir, filename)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        shutil.move(tmp, final)
        return final

    huggingface_hub.hf_hub_download = hf_hub_download
    _runtime.is_xet_available = lambda: True

    if os.environ.get("QWENDESK_TEST_HOLD_HASH_AT"):
        _hold_at = int(os.environ["QWENDESK_TEST_HOLD_HASH_AT"])
        _real_sha256 = hashlib.sha256

        class _HeldSha256:
            """hashlib.sha256 whose digest of a whole file (>= _hold_at bytes) never returns."""

            def __init__(self, data=b"", **kwargs):
                self._h = _real_sha256(data, **kwargs)
                self._n = len(data)

            def update(self, data):
                self._h.update(data)
                self._n += memoryview(data).nbytes

            def hexdigest(self):
                if self._n >= _hold_at:
                    open(os.environ["QWENDESK_TEST_HOLD_MARKER"], "w").close()
                    time.sleep(3600)
                return self._h.hexdigest()

            def digest(self):
                return bytes.fromhex(self.hexdigest())

        hashlib.sha256 = _HeldSha256
'''


@dataclass
class Child:
    """Switches for the download child's sitecustomize."""

    calls: Path  # one line per hf_hub_download call
    marker: Path  # written when the child sits in the whole-file hash
    monkeypatch: pytest.MonkeyPatch

    def hold_in_final_hash(self, size: int) -> None:
        self.monkeypatch.setenv("QWENDESK_TEST_HOLD_HASH_AT", str(size))
        self.monkeypatch.setenv("QWENDESK_TEST_HOLD_MARKER", str(self.marker))

    def release(self) -> None:
        self.monkeypatch.delenv("QWENDESK_TEST_HOLD_HASH_AT", raising=False)

    def hub_download_calls(self) -> list[str]:
        return self.calls.read_text().splitlines() if self.calls.exists() else []


@pytest.fixture
def child(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Child:
    hooks = tmp_path / "child_hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(_SITECUSTOMIZE, encoding="utf-8")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(hooks), os.environ.get("PYTHONPATH")]))
    )
    calls = tmp_path / "hf_hub_download_calls.txt"
    monkeypatch.setenv("QWENDESK_TEST_XET_CALLS", str(calls))
    return Child(calls, tmp_path / "in_final_hash", monkeypatch)


@pytest.fixture
def xet_hub(hub: FakeHub) -> FakeHub:
    hub.xet = True
    hub.redirect = True  # the Hub redirects resolve to its bridge/CDN
    return hub


def _files() -> set[str]:
    """Every file under the models dir, relative, with '/'."""
    root = models_dir()
    return (
        {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} if root.is_dir() else set()
    )


FOLDER = "Qwen--Qwen3-4B-GGUF"
PART_ONLY = {f"{FOLDER}/{NAME}.part", f"{FOLDER}/{NAME}.part.json"}


def _wait_for(dl: Download, done: Callable[[Progress], bool], until: float = 20.0) -> Progress:
    deadline = time.monotonic() + until
    while time.monotonic() < deadline:
        p = dl.poll()
        if done(p):
            return p
        if p.state != "running":
            raise AssertionError(f"the download stopped: {p.state} {p.error}")
        time.sleep(0.02)
    raise AssertionError("download did not get there in time")


def _wait_stopped(dl: Download, until: float = 10.0) -> Progress:
    deadline = time.monotonic() + until
    while (p := dl.poll()).state == "running" and time.monotonic() < deadline:
        time.sleep(0.02)
    return p


def _legacy_leftovers() -> Path:
    """What an earlier version's Xet path (hf_hub_download with local_dir) left when it was paused."""
    download = repo_dir(REPO) / ".cache" / "huggingface" / "download"
    download.mkdir(parents=True)
    (download / f"{NAME}.metadata").write_text("old\n")
    (download / "0a1b2c3d.etag.12345678.incomplete").write_bytes(b"x" * 1000)
    return download


def test_the_fake_hubs_xet_headers_are_what_huggingface_hub_reads(xet_hub: FakeHub) -> None:
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    with hub_access():
        meta = get_hf_file_metadata(hf_hub_url(REPO, NAME, endpoint=xet_hub.url), endpoint=xet_hub.url)
    assert meta.xet_file_data is not None
    assert meta.xet_file_data.file_hash == sha256(b"xet:" + xet_hub.repos[REPO][NAME])
    assert meta.xet_file_data.refresh_route == f"{xet_hub.url}/api/models/{REPO}/xet-read-token/{COMMIT}"


def test_a_xet_backed_file_comes_through_resolve_and_resumes_with_a_range(
    xet_hub: FakeHub, child: Child
) -> None:
    entry = find_entry("Qwen3-4B")
    xet_hub.drop_after[NAME] = (300_000, 1)
    with pytest.raises(ConnectionDroppedError):
        Download.for_entry(entry, retries=0).run()
    assert _files() == PART_ONLY and part_path(Download.for_entry(entry).paths[0]).stat().st_size == 300_000

    _legacy_leftovers()  # cleared once the download is complete
    # A new Download in a new process: the "restart".
    [final] = Download.for_entry(entry, retries=0).run()
    assert final.read_bytes() == xet_hub.repos[REPO][NAME]
    assert _files() == {f"{FOLDER}/{NAME}"}
    assert [g.range for g in xet_hub.gets(NAME) if g.path.startswith("/cdn/")] == [None, "bytes=300000-"]
    assert child.hub_download_calls() == []


def test_pause_mid_file_keeps_only_our_part_and_a_new_download_continues_from_it(
    xet_hub: FakeHub, child: Child
) -> None:
    xet_hub.slow_s = 0.02
    dl = Download.for_entry(find_entry("Qwen3-4B"))
    dl.start()
    _wait_for(dl, lambda p: p.done_bytes > 200_000)
    dl.pause()
    kept = part_path(dl.paths[0]).stat().st_size
    assert 0 < kept < dl.total_bytes
    assert _files() == PART_ONLY  # no final name, no .incomplete, no .cache

    xet_hub.slow_s = 0.0
    [final] = Download.for_entry(find_entry("Qwen3-4B")).run()
    assert final.read_bytes() == xet_hub.repos[REPO][NAME]
    assert xet_hub.gets(NAME)[-1].range == f"bytes={kept}-"
    assert child.hub_download_calls() == []


def test_a_crash_during_the_final_hash_leaves_only_the_part_which_then_completes(
    xet_hub: FakeHub, child: Child
) -> None:
    entry = find_entry("Qwen3-4B")
    child.hold_in_final_hash(entry.size)
    dl = Download.for_entry(entry)
    dl.start()
    _wait_for(dl, lambda p: child.marker.exists())
    assert not dl.paths[0].exists()  # every byte is in, but it is not verified yet
    assert _files() == PART_ONLY and part_path(dl.paths[0]).stat().st_size == entry.size
    os.kill(dl._proc.pid, signal.SIGKILL)  # a crash, not a pause
    assert _wait_stopped(dl).state == "failed" and _files() == PART_ONLY

    child.release()
    gets = len(xet_hub.gets(NAME))
    [final] = Download.for_entry(entry).run()
    assert final.read_bytes() == xet_hub.repos[REPO][NAME] and _files() == {f"{FOLDER}/{NAME}"}
    assert len(xet_hub.gets(NAME)) == gets  # the kept part was complete: hashed again, not fetched again
    assert child.hub_download_calls() == []


def test_a_corrupted_xet_backed_file_never_gets_its_final_name(xet_hub: FakeHub, child: Child) -> None:
    entry = find_entry("Qwen3-4B")
    xet_hub.corrupt.add(NAME)
    child.hold_in_final_hash(entry.size)
    dl = Download.for_entry(entry)
    dl.start()
    _wait_for(dl, lambda p: child.marker.exists())
    assert not dl.paths[0].exists() and _files() == PART_ONLY
    dl.pause()  # quit while it hashes

    child.release()
    with pytest.raises(ChecksumMismatchError, match="SHA-256 does not match"):
        Download.for_entry(entry).run()
    assert _files() == set()
    assert child.hub_download_calls() == []


def test_cancel_leaves_nothing(xet_hub: FakeHub, child: Child) -> None:
    xet_hub.slow_s = 0.02
    leftovers = _legacy_leftovers()
    dl = Download.for_entry(find_entry("Qwen3-4B"))
    dl.start()
    _wait_for(dl, lambda p: p.done_bytes > 100_000)
    dl.cancel()
    assert dl.poll().state == "cancelled"
    assert _files() == set()
    assert not leftovers.exists() and not (repo_dir(REPO) / ".cache").exists()
    assert not sidecar_path(dl.paths[0]).exists()
    assert child.hub_download_calls() == []
