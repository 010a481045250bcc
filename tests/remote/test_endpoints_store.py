"""Saved servers in endpoints.json: round trip, never a key, a damaged file kept aside."""

from __future__ import annotations

import json
from pathlib import Path

from app.paths import data_dir
from app.remote.endpoint import Endpoint
from app.remote.endpoints import ENDPOINTS_FILE, EndpointStore, SavedEndpoint
from app.remote.keys import set_endpoint_key
from tests.memory_keyring import MemoryKeyring

GPU = SavedEndpoint(Endpoint("GPU box", "http://gpu-box:8000/v1", "vllm"), "Qwen/Qwen3-32B")
OLLAMA = SavedEndpoint(Endpoint("Laptop Ollama", "localhost:11434", "ollama"))


def test_round_trip_in_the_data_dir(qwendesk_home: Path) -> None:
    store = EndpointStore()
    assert store.path == data_dir() / ENDPOINTS_FILE and store.path.parent == qwendesk_home
    assert store.load() == [] and store.problem is None
    store.put(GPU)
    store.put(OLLAMA)
    again = EndpointStore().load()
    assert again == [GPU, OLLAMA]
    assert again[1].endpoint.base_url == "http://localhost:11434/v1" and again[1].last_model is None
    data = json.loads(store.path.read_text(encoding="utf-8"))
    assert data["version"] == 1
    assert data["endpoints"][0] == {
        "name": "GPU box",
        "base_url": "http://gpu-box:8000/v1",
        "preset": "vllm",
        "last_model": "Qwen/Qwen3-32B",
    }
    assert [p.name for p in store.path.parent.iterdir()] == [ENDPOINTS_FILE]  # no temporary file left


def test_get_put_remove_remember(qwendesk_home: Path) -> None:
    store = EndpointStore()
    store.save([GPU, OLLAMA])
    assert store.get("gpu BOX") == GPU  # names are case-insensitive
    assert store.get("http://gpu-box:8000") == GPU  # or the address, as typed
    assert store.get("nothing") is None and store.get("ftp://x") is None
    store.remember_model("Laptop Ollama", "qwen3:8b")
    assert store.get("Laptop Ollama") == SavedEndpoint(OLLAMA.endpoint, "qwen3:8b")
    renamed = SavedEndpoint(Endpoint("GPU box", "http://gpu-box:9000/v1", "sglang"))
    store.put(renamed)  # same name: replaced
    assert store.load() == [renamed, SavedEndpoint(OLLAMA.endpoint, "qwen3:8b")]
    assert store.remove("gpu box") and not store.remove("gpu box")
    assert [s.name for s in store.load()] == ["Laptop Ollama"]


def test_never_a_key_in_the_file(qwendesk_home: Path, memory_keyring: MemoryKeyring) -> None:
    set_endpoint_key(GPU.endpoint.base_url, "sk-very-secret")
    store = EndpointStore()
    store.put(GPU)
    assert "sk-very-secret" not in store.path.read_text(encoding="utf-8")
    assert "key" not in json.loads(store.path.read_text(encoding="utf-8"))["endpoints"][0]
    assert list(memory_keyring.passwords.values()) == ["sk-very-secret"]


def test_a_damaged_file_is_kept_aside_and_reported(qwendesk_home: Path) -> None:
    store = EndpointStore()
    store.path.write_text('{"endpoints": [{"name": "a", "base_u', encoding="utf-8")
    assert store.load() == []
    assert store.problem is not None and "damaged" in store.problem
    aside = [p for p in qwendesk_home.iterdir() if p.name.startswith(ENDPOINTS_FILE + ".damaged-")]
    assert len(aside) == 1 and aside[0].name in store.problem
    assert aside[0].read_text(encoding="utf-8") == '{"endpoints": [{"name": "a", "base_u'
    assert not store.path.exists()
    store.put(GPU)  # and the app goes on
    assert EndpointStore().load() == [GPU]


def test_not_a_list_and_bad_entries(qwendesk_home: Path) -> None:
    store = EndpointStore()
    store.path.write_text('["not", "an", "object"]', encoding="utf-8")
    assert store.load() == [] and store.problem is not None
    entries = [
        GPU.to_json(),
        {"name": "bad", "base_url": "ftp://nope"},
        {"name": "no url"},
        {"name": "odd preset", "base_url": "localhost:1234", "preset": "tgi", "last_model": 7},
    ]
    store.path.write_text(json.dumps({"version": 1, "endpoints": entries}), encoding="utf-8")
    loaded = store.load()
    assert [s.name for s in loaded] == ["GPU box", "odd preset"]
    assert loaded[1].endpoint.preset == "custom" and loaded[1].last_model is None
    assert store.problem is not None and "2 saved server(s)" in store.problem
    assert store.path.exists()  # a readable file with bad entries is not set aside
