"""Listing the catalog's GGUFs from a (fake) Hub: quant parsing, split grouping, cache, offline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.models.catalog import CATALOG, ORIGINALS
from app.models.hub import (
    RemoteFile,
    cache_path,
    find_entry,
    group_ggufs,
    list_catalog,
    parse_quant,
)
from app.models.hub_errors import HubNotFoundError
from tests.models.fake_hub import FakeHub, closed_port_url, serve, sha256


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    with serve(monkeypatch) as h:
        yield h


def _publish(hub: FakeHub) -> None:
    hub.add_file("Qwen/Qwen3-4B-GGUF", "Qwen3-4B-Q4_K_M.gguf", b"a" * 400)
    hub.add_file("Qwen/Qwen3-4B-GGUF", "Qwen3-4B-Q8_0.gguf", b"b" * 800)
    hub.add_file("Qwen/Qwen3-4B-GGUF", "README.md", b"# card")
    hub.add_file("unsloth/Qwen3-4B-GGUF", "Qwen3-4B-Q4_K_M.gguf", b"c" * 390)
    hub.add_file("unsloth/Qwen3-4B-GGUF", "Qwen3-4B-UD-Q4_K_XL.gguf", b"d" * 420)
    for i in (1, 2, 3):
        name = f"Q4_K_M/Qwen3-235B-A22B-Q4_K_M-0000{i}-of-00003.gguf"
        hub.add_file("Qwen/Qwen3-235B-A22B-GGUF", name, bytes([i]) * 1000)


@pytest.mark.parametrize(
    ("path", "quant"),
    [
        ("Qwen3-8B-Q4_K_M.gguf", "Q4_K_M"),
        ("Qwen3-0.6B-Q8_0.gguf", "Q8_0"),
        ("Qwen3-8B-UD-Q4_K_XL.gguf", "UD-Q4_K_XL"),
        ("Qwen3-8B-BF16.gguf", "BF16"),
        ("Qwen3-8B-IQ4_XS.gguf", "IQ4_XS"),
        ("qwen3-8b-q5_k_m.gguf", "Q5_K_M"),
        ("Q4_K_M/Qwen3-235B-A22B-Q4_K_M-00001-of-00005.gguf", "Q4_K_M"),
        ("UD-Q2_K_XL/Qwen3-235B-A22B-UD-Q2_K_XL-00002-of-00002.gguf", "UD-Q2_K_XL"),
        ("BF16/Qwen3-235B-A22B-00001-of-00010.gguf", "BF16"),  # only the folder names it
        ("Qwen3-8B.gguf", None),
    ],
)
def test_quant_is_parsed_from_the_file_name(path: str, quant: str | None) -> None:
    assert parse_quant(path) == quant


def test_split_parts_are_one_entry_and_incomplete_sets_are_dropped() -> None:
    files = [
        RemoteFile("Q4_K_M/M-Q4_K_M-00002-of-00002.gguf", 20, "b"),
        RemoteFile("Q4_K_M/M-Q4_K_M-00001-of-00002.gguf", 10, "a"),
        RemoteFile("Q8_0/M-Q8_0-00001-of-00002.gguf", 10, "c"),  # its second part is missing
        RemoteFile("mmproj-F16.gguf", 5, "d"),
        RemoteFile("M-Q6_K.gguf", 7, "e"),
    ]
    entries = group_ggufs("o/r", files)
    assert [(e.quant, e.size, len(e.parts)) for e in entries] == [("Q6_K", 7, 1), ("Q4_K_M", 30, 2)]
    assert entries[1].first.path.endswith("00001-of-00002.gguf")


def test_listing_official_first_alternative_for_missing_quants(hub: FakeHub) -> None:
    _publish(hub)
    listing = list_catalog()
    assert not listing.cached
    m = listing.model("Qwen3-4B")
    assert m is not None
    assert [(e.quant, e.repo, e.size) for e in m.entries] == [
        ("Q4_K_M", "Qwen/Qwen3-4B-GGUF", 400),
        ("Q8_0", "Qwen/Qwen3-4B-GGUF", 800),
        ("UD-Q4_K_XL", "unsloth/Qwen3-4B-GGUF", 420),
    ]
    assert m.entries[0].first.sha256 == sha256(b"a" * 400)
    big = listing.model("Qwen3-235B-A22B")
    assert big is not None and len(big.entries) == 1
    assert big.entries[0].size == 3000 and big.entries[0].is_split
    empty = listing.model("Qwen3-32B")
    assert empty is not None and empty.entries == () and empty.errors == ()  # repo does not exist
    assert not [r for r in hub.log if "agent-harnesses" in r.path]
    cached = json.loads(cache_path().read_text())
    assert cached["endpoint"] == hub.url and cached["fetched_at"] == listing.fetched_at


def test_offline_serves_the_cache_marked_as_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(monkeypatch) as hub:
        _publish(hub)
        fresh = list_catalog()
    offline = list_catalog()  # same endpoint, nothing listening any more
    assert offline.cached and offline.reason and "Cannot reach" in offline.reason
    assert offline.offline and offline.listed
    assert offline.fetched_at == fresh.fetched_at
    assert offline.models == fresh.models


def test_unreachable_without_cache_lists_every_catalog_model_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", closed_port_url())
    listing = list_catalog()  # a first run without a network is not an error
    assert listing.offline and not listing.cached and not listing.listed
    assert listing.reason and "Cannot reach the Hugging Face Hub" in listing.reason
    assert listing.fetched_at is None
    assert [m.name for m in listing.models] == [m.name for m in CATALOG]
    assert all(m.entries == () and m.errors == () for m in listing.models)
    assert not cache_path().exists()  # nothing to save: the next online listing is the first


def test_corrupt_cache_is_ignored(monkeypatch: pytest.MonkeyPatch, qwendesk_home: Path) -> None:
    monkeypatch.setenv("HF_ENDPOINT", closed_port_url())
    cache_path().write_text("{not json")
    listing = list_catalog()
    assert listing.offline and not listing.cached
    assert [m.name for m in listing.models] == [m.name for m in CATALOG]


def test_a_cache_from_before_the_2507_models_still_lists_them(monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(monkeypatch) as hub:
        _publish(hub)
        list_catalog(ORIGINALS)  # saved when the catalog had only the eight originals
    offline = list_catalog()
    assert offline.cached and offline.offline and offline.listed
    assert [m.name for m in offline.models] == [m.name for m in CATALOG]
    q4 = offline.model("Qwen3-4B")
    assert q4 is not None and len(q4.entries) == 3
    new = offline.model("Qwen3-4B-Instruct-2507")
    assert new is not None and new.entries == ()


def test_2507_models_are_listed_from_their_repos(hub: FakeHub) -> None:
    hub.add_file("Qwen/Qwen3-4B-Instruct-2507-GGUF", "Qwen3-4B-Instruct-2507-Q4_K_M.gguf", b"i" * 300)
    hub.add_file("unsloth/Qwen3-4B-Thinking-2507-GGUF", "Qwen3-4B-Thinking-2507-Q8_0.gguf", b"t" * 500)
    listing = list_catalog()
    assert not listing.offline and listing.listed
    instruct, thinking = listing.model("Qwen3-4B-Instruct-2507"), listing.model("Qwen3-4B-Thinking-2507")
    assert instruct is not None and [(e.quant, e.repo) for e in instruct.entries] == [
        ("Q4_K_M", "Qwen/Qwen3-4B-Instruct-2507-GGUF")
    ]
    assert thinking is not None and [(e.quant, e.repo) for e in thinking.entries] == [
        ("Q8_0", "unsloth/Qwen3-4B-Thinking-2507-GGUF")
    ]
    original = listing.model("Qwen3-4B")
    assert original is not None and original.entries == ()  # the files are not mixed up between them


def test_find_entry_defaults_and_errors(hub: FakeHub) -> None:
    _publish(hub)
    hub.add_file("Qwen/Qwen3-0.6B-GGUF", "Qwen3-0.6B-Q8_0.gguf", b"x" * 10)
    assert find_entry("Qwen3-4B").quant == "Q4_K_M"
    assert find_entry("qwen3-4b:ud-q4_k_xl").repo == "unsloth/Qwen3-4B-GGUF"
    assert find_entry("Qwen3-0.6B").quant == "Q8_0"  # no Q4_K_M: the smallest
    assert find_entry("unsloth/Qwen3-4B-GGUF:Q4_K_M").size == 390
    with pytest.raises(HubNotFoundError, match="available: Q4_K_M, Q8_0, UD-Q4_K_XL"):
        find_entry("Qwen3-4B:Q2_K")
    with pytest.raises(HubNotFoundError, match="Unknown model"):
        find_entry("Llama-3")
    with pytest.raises(HubNotFoundError, match="not found"):
        find_entry("someone/nothing-GGUF")
