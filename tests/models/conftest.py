"""A stand-in Hub serving one Qwen3-4B GGUF, for the download and CLI tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.models.fake_hub import FakeHub, serve

REPO = "Qwen/Qwen3-4B-GGUF"
NAME = "Qwen3-4B-Q4_K_M.gguf"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    with serve(monkeypatch) as h:
        h.add_gguf(REPO, NAME, tmp_path)
        yield h
