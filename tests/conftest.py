"""Shared fixtures: a private data dir per test, and generated Qwen3 GGUFs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from app.backend.engine import Engine
from app.backend.machine_state import MachineState
from app.models.synthetic import Script, write_scripted_gguf
from tests.memory_keyring import memory_keyring  # noqa: F401  (a fixture for any test)
from tests.remote.fake_openai import FakeOpenAI, RunningFake
from tests.remote.llama_server import llama_server


@pytest.fixture(autouse=True)
def qwendesk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Tests never touch the real data dir, and no fault is injected unless asked."""
    home = tmp_path / "home"
    monkeypatch.setenv("QWENDESK_HOME", str(home))
    monkeypatch.setattr(Engine, "injected_fault", "")
    return home


@pytest.fixture(autouse=True)
def no_system_keyring() -> Iterator[None]:
    """Tests never read or write the real keyring: none works unless a test installs ``memory_keyring``."""
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def scripted_model(models_dir: Path) -> Path:
    """Thinks "The user greets me." then answers "Hello! How can I help?"."""
    return write_scripted_gguf(models_dir / "scripted.gguf")


@pytest.fixture(scope="session")
def looping_model(models_dir: Path) -> Path:
    """Opens <think> and never closes it: reasoning until max tokens."""
    return write_scripted_gguf(
        models_dir / "looping.gguf", Script(reasoning=(" round", " and", " again"), loop_reasoning=True)
    )


@pytest.fixture
def engine(qwendesk_home: Path) -> Iterator[Engine]:
    eng = Engine(state=MachineState(qwendesk_home / "engine-state.json"))
    yield eng
    eng.close()


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    """A vLLM-style OpenAI-compatible server on 127.0.0.1 (tests/remote/fake_openai.py)."""
    running = RunningFake()
    try:
        yield running.fake
    finally:
        running.stop()


@pytest.fixture(scope="module")
def llama_base_url(scripted_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of llama-cpp-python's own server running the scripted model (one per test module)."""
    with llama_server(scripted_model, tmp_path_factory.mktemp("llama-server") / "server.log") as base:
        yield base
