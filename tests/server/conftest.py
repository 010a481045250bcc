"""A real engine on a generated GGUF behind a real ApiServer on 127.0.0.1 (port 0), per test module."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openai
import pytest

from app.backend.engine import Engine
from app.backend.machine_state import MachineState
from app.backend.protocol import Done, GenerationRequest, StreamEvent
from app.backend.shared_engine import SharedEngine
from app.server import ApiServer

REASONING = "The user greets me."
REPLY = "Hello! How can I help?"
HI = [{"role": "user", "content": "hi"}]


class RecordingEngine(Engine):
    """Remembers how each turn ended: its finish reason, or "closed" if the caller stopped listening."""

    def __init__(self, state_dir: Path) -> None:
        super().__init__(state=MachineState(state_dir / "engine-state.json"))
        self.endings: list[str] = []

    def generate(self, request: GenerationRequest) -> Iterator[StreamEvent]:
        ended = False
        try:
            for ev in super().generate(request):
                if isinstance(ev, Done):
                    self.endings.append(ev.finish_reason)
                    ended = True
                yield ev
        finally:
            if not ended:
                self.endings.append("closed")


@contextmanager
def running_server(
    tmp: Path,
    model: Path | None,
    *,
    n_ctx: int = 512,
    engine_type: type[RecordingEngine] = RecordingEngine,
    **options: Any,
) -> Iterator[tuple[ApiServer, SharedEngine, RecordingEngine]]:
    engine = engine_type(tmp)
    shared = SharedEngine(engine)
    server = None
    try:
        if model is not None:
            engine.load(str(model), n_ctx=n_ctx)
        server = ApiServer(shared, port=0, **options)
        server.start()
        yield server, shared, engine
    finally:
        if server is not None:
            server.shutdown()
        shared.close()


@pytest.fixture(scope="module")
def scripted_server(
    tmp_path_factory: pytest.TempPathFactory, scripted_model: Path
) -> Iterator[tuple[ApiServer, SharedEngine, RecordingEngine]]:
    with running_server(tmp_path_factory.mktemp("state"), scripted_model) as served:
        yield served


@pytest.fixture
def client_for() -> Iterator[Callable[..., openai.OpenAI]]:
    """Makes ``openai`` clients for a server (closed after the test: no unclosed sockets)."""
    clients: list[openai.OpenAI] = []

    def make(server: ApiServer, api_key: str = "not-needed") -> openai.OpenAI:
        client = openai.OpenAI(base_url=server.url, api_key=api_key, max_retries=0, timeout=60)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def model_of(server: ApiServer) -> str:
    model = server.served_model()
    assert model is not None
    return model.id


def raw_request(
    server: ApiServer,
    method: str,
    path: str,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    """A plain HTTP request (no client library fixing up headers); returns status, headers, JSON."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, dict(response.getheaders()), json.loads(data) if data else None
    finally:
        conn.close()


def wait_until(condition: Callable[[], bool], what: str, deadline_s: float = 60) -> None:
    """Poll for something another thread does (a generous deadline, not a timing check)."""
    end = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.01)
