"""Downloads over real HTTP from the fake Hub: verify, resume, pause, faults, split models."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.models import download as download_mod
from app.models.download import Download, Progress, entry_state, local_path, part_path, sidecar_path
from app.models.hub import GGUFEntry, find_entry
from app.models.hub_errors import (
    ChecksumMismatchError,
    ConnectionDroppedError,
    DiskFullError,
    GatedRepoAccessError,
    HubNotFoundError,
    HubUnreachableError,
)
from app.models.locate import models_dir, resolve_model
from app.models.store_dir import installed_models
from tests.models.conftest import NAME, REPO
from tests.models.fake_hub import FakeHub, closed_port_url, serve


def _entry(spec: str = "Qwen3-4B") -> GGUFEntry:
    return find_entry(spec)


def _wait(dl: Download, until: float = 10.0, predicate: object = None) -> Progress:
    deadline = time.monotonic() + until
    while time.monotonic() < deadline:
        p = dl.poll()
        if p.state != "running" or (callable(predicate) and predicate(p)):
            return p
        time.sleep(0.02)
    raise AssertionError("download did not get there in time")


def test_pull_verifies_and_renames(hub: FakeHub) -> None:
    hub.redirect = True  # through a "CDN" redirect, as the Hub does
    entry = _entry()
    seen: list[Progress] = []
    paths = Download.for_entry(entry).run(seen.append)
    final = models_dir() / "Qwen--Qwen3-4B-GGUF" / NAME
    assert paths == [final]
    assert final.read_bytes() == hub.repos[REPO][NAME]
    assert not part_path(final).exists() and not sidecar_path(final).exists()
    assert seen[-1].state == "done" and seen[-1].done_bytes == seen[-1].total_bytes == entry.size
    assert entry_state(entry) == "downloaded"
    [model] = installed_models()
    assert (model.repo, model.quant, model.size) == (REPO, "Q4_K_M", entry.size)
    assert resolve_model("Qwen3-4B:Q4_K_M") == str(final)
    assert resolve_model("Qwen3-4B:Q8_0") == "Qwen3-4B:Q8_0"  # not downloaded: left for the engine to report
    assert [r.path for r in hub.gets(NAME)][-1].startswith("/cdn/")


def test_a_dropped_connection_resumes_in_a_later_process_with_a_range(hub: FakeHub) -> None:
    entry = _entry()
    hub.drop_after[NAME] = (300_000, 1)
    with pytest.raises(ConnectionDroppedError, match="run the download again later"):
        Download.for_entry(entry, retries=0).run()
    final = local_path(REPO, NAME)
    assert part_path(final).stat().st_size == 300_000
    side = json.loads(sidecar_path(final).read_text())
    assert side["size"] == entry.size and side["sha256"] == entry.first.sha256 and side["etag"]
    assert not final.exists() and installed_models() == []  # a .part is never a model

    Download.for_entry(entry, retries=0).run()
    assert final.read_bytes() == hub.repos[REPO][NAME]
    first, second = hub.gets(NAME)
    assert first.range is None and second.range == "bytes=300000-"


def test_a_dropped_connection_is_retried_within_the_run(hub: FakeHub) -> None:
    hub.drop_after[NAME] = (100_000, 2)
    Download.for_entry(_entry(), retries=2, backoff_s=0.01).run()
    assert [r.range for r in hub.gets(NAME)] == [None, "bytes=100000-", "bytes=200000-"]


def test_pause_terminates_the_child_and_resume_carries_on(hub: FakeHub) -> None:
    hub.slow_s = 0.02
    dl = Download.for_entry(_entry())
    dl.start()
    p = _wait(dl, predicate=lambda p: p.done_bytes > 200_000)
    assert p.state == "running"
    dl.pause()
    assert dl.poll().state == "paused"
    kept = part_path(dl.paths[0]).stat().st_size
    assert 0 < kept < dl.total_bytes
    hub.slow_s = 0.0
    dl.resume()
    assert _wait(dl).state == "done"
    assert dl.paths[0].read_bytes() == hub.repos[REPO][NAME]
    resumed_from = int((hub.gets(NAME)[-1].range or "bytes=0-")[6:-1])
    assert resumed_from == kept


def test_cancel_removes_the_partial_file(hub: FakeHub) -> None:
    hub.slow_s = 0.02
    dl = Download.for_entry(_entry())
    dl.start()
    _wait(dl, predicate=lambda p: p.done_bytes > 0)
    dl.cancel()
    assert dl.poll().state == "cancelled"
    assert list(models_dir().rglob("*.gguf*")) == []


def test_checksum_mismatch_deletes_the_part(hub: FakeHub) -> None:
    hub.corrupt.add(NAME)
    with pytest.raises(ChecksumMismatchError, match="SHA-256 does not match"):
        Download.for_entry(_entry()).run()
    assert list(models_dir().rglob("*.gguf*")) == []


def test_missing_file_is_a_404(hub: FakeHub) -> None:
    entry = _entry()
    hub.missing.add(NAME)
    with pytest.raises(HubNotFoundError, match="not found on the Hub"):
        Download.for_entry(entry).run()


def test_gated_repo_says_how_to_get_access(hub: FakeHub) -> None:
    entry = _entry()
    hub.gated.add(REPO)
    with pytest.raises(GatedRepoAccessError, match="accept the license on the Hub and log in with `hf auth"):
        Download.for_entry(entry).run()


def test_unreachable_hub(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = _entry()
    monkeypatch.setenv("HF_ENDPOINT", closed_port_url())
    with pytest.raises(HubUnreachableError, match="Cannot reach"):
        Download.for_entry(entry).run()


def test_not_enough_disk_space_fails_before_starting(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = _entry()
    monkeypatch.setattr(download_mod, "free_bytes", lambda path: 1_000_000)
    dl = Download.for_entry(entry)
    with pytest.raises(DiskFullError, match="Not enough disk space"):
        dl.start()
    assert dl.state == "idle" and hub.gets(NAME) == []


def test_split_model_is_usable_only_when_every_part_is_there(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo = "Qwen/Qwen3-235B-A22B-GGUF"
    names = [f"Q4_K_M/Qwen3-235B-A22B-Q4_K_M-0000{i}-of-00003.gguf" for i in (1, 2, 3)]
    with serve(monkeypatch) as hub:
        for i, name in enumerate(names):
            hub.add_file(repo, name, bytes([i]) * 150_000)
        hub.drop_after[names[2]] = (1000, 1)
        entry = find_entry("Qwen3-235B-A22B")
        assert len(entry.parts) == 3
        with pytest.raises(ConnectionDroppedError):
            Download.for_entry(entry, retries=0).run()
        assert entry_state(entry) == "partial"
        assert installed_models() == []  # two verified parts and a .part are not a model
        paths = Download.for_entry(entry, retries=0).run()
    assert [p.read_bytes()[:1] for p in paths] == [b"\x00", b"\x01", b"\x02"]
    for p, name in zip(paths, names):
        assert p == models_dir() / "Qwen--Qwen3-235B-A22B-GGUF" / name
        assert hashlib.sha256(p.read_bytes()).hexdigest() == hashlib.sha256(hub.repos[repo][name]).hexdigest()
    [model] = installed_models()
    assert model.parts == tuple(paths) and model.size == 450_000 and model.quant == "Q4_K_M"
    assert resolve_model("Qwen3-235B-A22B:Q4_K_M") == str(paths[0])


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: writes past it fail with ENOSPC, as on a really full disk (needs root)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tiny tmpfs here ({done.stderr.decode().strip()}); needs root")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_disk_filling_up_mid_file_keeps_the_part_and_resumes(
    hub: FakeHub, tiny_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Free space looked fine at the start (another program filled the disk later).
    monkeypatch.setattr(download_mod, "free_bytes", lambda path: 10 * 1024**3)
    entry = _entry()
    assert entry.size > 64 * 1024
    dl = Download.for_entry(entry, root=tiny_disk)
    with pytest.raises(DiskFullError, match=r"disk filled up .* bytes kept\); free some space"):
        dl.run()
    part = part_path(dl.paths[0])
    kept = part.stat().st_size
    assert 0 < kept < entry.size and not dl.paths[0].exists()
    assert entry_state(entry, root=tiny_disk) == "partial"

    subprocess.run(["mount", "-o", "remount,size=16m", str(tiny_disk)], check=True)  # space freed
    [final] = Download.for_entry(entry, root=tiny_disk).run()
    assert final.read_bytes() == hub.repos[REPO][NAME]
    ranges = [r.range for r in hub.gets(NAME)]
    assert ranges[-1] == f"bytes={kept}-"  # carried on from what the full disk had kept


def test_an_unwritable_progress_note_is_said_and_the_download_still_completes(hub: FakeHub) -> None:
    entry = _entry()
    final = local_path(REPO, NAME)
    sidecar_path(final).mkdir(parents=True)  # where the note goes, something that is not a file
    seen: list[Progress] = []
    Download.for_entry(entry).run(seen.append)
    assert final.read_bytes() == hub.repos[REPO][NAME]
    warnings = {p.warning for p in seen if p.warning}
    assert len(warnings) == 1
    (warning,) = warnings
    assert "cannot resume if it is interrupted" in warning and sidecar_path(final).name in warning
