"""Streams that end badly, clients that leave, clients that queue, and shutdown mid-answer."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import openai
import pytest

from app.backend.engine import Engine
from app.backend.shared_engine import SharedEngine
from app.server import ApiServer
from tests.server.conftest import HI, REASONING, REPLY, RecordingEngine, model_of, running_server, wait_until

Served = tuple[ApiServer, SharedEngine, RecordingEngine]
ENDLESS = 1_000_000  # the looping model thinks until max tokens or the end of the context


@pytest.fixture(scope="module")
def looping_server(tmp_path_factory: pytest.TempPathFactory, looping_model: Path) -> Iterator[Served]:
    # A long context: a generation that is not stopped runs for many seconds.
    with running_server(tmp_path_factory.mktemp("loop"), looping_model, n_ctx=32768) as served:
        yield served


def open_stream(
    server: ApiServer, **body: object
) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    payload = {"model": model_of(server), "messages": HI, "stream": True, **body}
    conn.request("POST", "/v1/chat/completions", body=json.dumps(payload))
    response = conn.getresponse()
    assert response.status == 200
    return conn, response


def read_events(response: http.client.HTTPResponse, count: int) -> list[dict]:
    events: list[dict] = []
    while len(events) < count:
        line = response.readline()
        assert line, "the stream ended early"
        if line.startswith(b"data: {"):
            events.append(json.loads(line[len(b"data: ") :]))
    return events


def test_a_client_that_leaves_mid_stream_stops_its_generation(
    looping_server: Served, client_for: Callable[..., openai.OpenAI], caplog: pytest.LogCaptureFixture
) -> None:
    server, _, engine = looping_server
    caplog.set_level("INFO", logger="qwendesk.server")
    before = len(engine.endings)
    conn, response = open_stream(server, max_tokens=ENDLESS)
    events = read_events(response, 5)
    assert events[0]["choices"][0]["delta"] == {"role": "assistant"}
    assert events[-1]["choices"][0]["delta"]["reasoning_content"]
    response.close()
    conn.close()  # the client goes away in the middle of the reasoning
    # The next request is served, and the first generation was stopped rather than run to the end.
    r = client_for(server).chat.completions.create(model=model_of(server), messages=HI, max_tokens=5)
    assert r.choices[0].finish_reason == "length"
    assert (getattr(r.choices[0].message, "reasoning_content", None) or "").startswith("round and")
    assert engine.endings[before:] == ["closed", "length"]
    assert any("went away" in rec.getMessage() for rec in caplog.records)


def test_a_non_streaming_client_that_leaves_stops_its_generation(looping_server: Served) -> None:
    server, shared, engine = looping_server
    before = len(engine.endings)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    body = {"model": model_of(server), "messages": HI, "max_tokens": ENDLESS}
    conn.request("POST", "/v1/chat/completions", body=json.dumps(body))
    wait_until(lambda: shared.owner is not None, "the request took the engine")
    conn.close()
    with shared.use("the test", timeout=60):  # handed back without running to the end of the context
        assert engine.endings[before:] == ["closed"]


def test_thinking_budget_then_the_answer(
    looping_server: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server = looping_server[0]
    r = client_for(server).chat.completions.create(
        model=model_of(server),
        messages=HI,
        extra_body={"thinking_budget": 4},
    )
    assert r.choices[0].message.content == REPLY
    assert r.choices[0].finish_reason == "stop"  # the engine's "budget": the answer came after it


def test_concurrent_clients_are_served_in_turn(
    scripted_server: Served, client_for: Callable[..., openai.OpenAI]
) -> None:
    server, shared, _ = scripted_server
    results: dict[int, tuple[str | None, str | None]] = {}
    errors: list[BaseException] = []

    def ask(i: int) -> None:
        try:
            client = client_for(server)
            if i == 0:
                r = client.chat.completions.create(model=model_of(server), messages=HI)
                results[i] = (
                    r.choices[0].message.content,
                    getattr(r.choices[0].message, "reasoning_content", None),
                )
            else:
                chunks = list(
                    client.chat.completions.create(model=model_of(server), messages=HI, stream=True)
                )
                content = "".join(c.choices[0].delta.content or "" for c in chunks)
                reasoning = "".join(
                    getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks
                )
                results[i] = (content, reasoning)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(2)]
    with shared.use("the window"):  # the window is answering: both API requests must queue, not fail
        for t in threads:
            t.start()
        wait_until(lambda: server.queued == 2, "both requests wait for the engine")
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert results == {0: (REPLY, REASONING), 1: (REPLY, REASONING)}


def test_shutdown_ends_a_running_stream(tmp_path: Path, looping_model: Path) -> None:
    with running_server(tmp_path, looping_model, n_ctx=32768) as (server, shared, engine):
        conn, response = open_stream(server, max_tokens=ENDLESS)
        try:
            read_events(response, 3)
            server.shutdown()
            with pytest.raises((http.client.IncompleteRead, OSError, AssertionError)):
                read_events(response, ENDLESS)  # the stream ends instead of running on
        finally:
            response.close()
            conn.close()
        with shared.use("the window", timeout=60):
            assert engine.endings in (["cancelled"], ["closed"])
        assert not server.running
        with pytest.raises(OSError):
            http.client.HTTPConnection("127.0.0.1", server.port, timeout=5).connect()


def test_a_worker_crash_is_an_error_event_mid_stream_and_500_otherwise(
    tmp_path: Path,
    scripted_model: Path,
    monkeypatch: pytest.MonkeyPatch,
    client_for: Callable[..., openai.OpenAI],
) -> None:
    monkeypatch.setattr(Engine, "injected_fault", "kill-after:4")  # the worker kills itself at its 4th token
    with running_server(tmp_path, scripted_model) as (server, _, _):
        client = client_for(server)
        received = []
        with pytest.raises(openai.APIError) as info:
            for chunk in client.chat.completions.create(model=model_of(server), messages=HI, stream=True):
                received.append(chunk)
        assert "engine process" in info.value.message and "SIGKILL" in info.value.message
        assert any(getattr(c.choices[0].delta, "reasoning_content", None) for c in received)
        with pytest.raises(openai.InternalServerError) as crash:
            client.chat.completions.create(model=model_of(server), messages=HI)
        body = crash.value.body
        assert crash.value.status_code == 500
        assert isinstance(body, dict) and body["code"] == "worker_crashed" and "SIGKILL" in body["message"]
        monkeypatch.setattr(Engine, "injected_fault", "")
        assert raw_health(server) == 200  # the server itself is fine


def raw_health(server: ApiServer) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request("GET", "/health")
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()
