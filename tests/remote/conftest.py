"""Fixtures for the remote engine: the fake OpenAI-compatible server and llama-cpp-python's server.

(``memory_keyring`` comes from tests/conftest.py, which imports it from tests/memory_keyring.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.remote.fake_openai import FakeOpenAI, RunningFake
from tests.remote.llama_server import llama_server


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    running = RunningFake()
    try:
        yield running.fake
    finally:
        running.stop()


@pytest.fixture(scope="module")
def llama_base_url(scripted_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of llama-cpp-python's server running the scripted model (one per test module)."""
    with llama_server(scripted_model, tmp_path_factory.mktemp("llama-server") / "server.log") as base:
        yield base
