"""Server addresses as people type them, and the presets."""

from __future__ import annotations

import pytest

from app.remote.endpoint import Endpoint, normalize_base_url
from app.remote.presets import PRESETS, get_preset


@pytest.mark.parametrize(
    ("typed", "base"),
    [
        ("localhost:8000", "http://localhost:8000/v1"),
        ("http://gpu-box:8000", "http://gpu-box:8000/v1"),
        ("http://gpu-box:8000/", "http://gpu-box:8000/v1"),
        ("  https://api.example.org/openai/v1/  ", "https://api.example.org/openai/v1"),
        ("http://10.0.0.5:30000/v1/chat/completions", "http://10.0.0.5:30000/v1"),
        ("http://10.0.0.5:30000/v1/models", "http://10.0.0.5:30000/v1"),
        ("HTTP://LocalHost:11434", "http://localhost:11434/v1"),
        ("[::1]:8080", "http://[::1]:8080/v1"),
        ("gpu-box", "http://gpu-box/v1"),
    ],
)
def test_normalisation(typed: str, base: str) -> None:
    assert normalize_base_url(typed) == base


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("", "Enter the server's address"),
        ("   ", "Enter the server's address"),
        ("ftp://files.example.org", "Only http:// and https://"),
        ("ws://host:8000", "Only http:// and https://"),
        ("http://user:secret@host:8000/v1", "API key in the key field"),
        ("http://host:99999", "not a valid address"),
        ("http://host:0", "between 1 and 65535"),
        ("http://host:8000/v1?key=1", "query or fragment"),
        ("http://:8000", "no host name"),
    ],
)
def test_bad_addresses_say_what_is_wrong(typed: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        normalize_base_url(typed)


def test_endpoint_fields() -> None:
    e = Endpoint(name="", base_url="gpu-box:8000", preset="vllm")
    assert e.base_url == "http://gpu-box:8000/v1" and e.name == "gpu-box:8000" and e.host == "gpu-box:8000"
    assert not e.is_loopback and not e.is_https and e.hostname == "gpu-box"
    assert Endpoint("n", "https://x.example/v1").is_https
    with pytest.raises(ValueError, match="Unknown server kind"):
        Endpoint("n", "localhost:1", preset="tgi")
    with pytest.raises(AttributeError):
        e.base_url = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("localhost", True), ("127.0.0.1", True), ("127.8.9.10", True), ("[::1]", True),
     ("app.localhost", True), ("192.168.1.2", False), ("gpu-box", False), ("localhost.example.com", False)],
)  # fmt: skip
def test_loopback(host: str, loopback: bool) -> None:
    assert Endpoint.from_url(f"http://{host}:8000").is_loopback is loopback


def test_presets() -> None:
    assert set(PRESETS) == {"vllm", "sglang", "llama-server", "ollama", "custom"}
    defaults = {name: p.default_base_url for name, p in PRESETS.items()}
    assert defaults["vllm"] == "http://localhost:8000/v1"
    assert defaults["sglang"] == "http://localhost:30000/v1"
    assert defaults["llama-server"] == "http://localhost:8080/v1"
    assert defaults["ollama"] == "http://localhost:11434/v1"
    for name in ("vllm", "sglang", "llama-server", "custom"):
        assert PRESETS[name].accepts_chat_template_kwargs
        assert set(PRESETS[name].sampling_extras) == {"top_k", "min_p", "presence_penalty", "seed"}
    assert not PRESETS["ollama"].accepts_chat_template_kwargs
    assert set(PRESETS["ollama"].sampling_extras) == {"presence_penalty", "seed"}
    for p in PRESETS.values():
        assert normalize_base_url(p.default_base_url) == p.default_base_url
    assert get_preset("nonsense").name == "custom" and get_preset(None).name == "custom"


def test_the_preset_is_guessed_from_ollamas_port() -> None:
    assert Endpoint.from_url("localhost:11434").preset == "ollama"
    assert Endpoint.from_url("localhost:8000").preset == "custom"
    assert Endpoint.from_url("localhost:11434", preset="vllm").preset == "vllm"
