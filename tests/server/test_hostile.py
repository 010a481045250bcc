"""Hostile and broken clients: odd JSON, malformed request lines, slow clients, floods, huge bodies.

Every refusal is a proper HTTP answer (400/413/414/503/505, OpenAI-style JSON) and never a 500,
a traceback in the log or a dropped connection; the server stays up for everyone else.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from app.backend.errors import InvalidRequestError
from app.backend.protocol import Sampling
from app.backend.sampling import resolve
from app.backend.shared_engine import SharedEngine
from app.server import ApiServer
from app.server.json_body import MAX_DEPTH
from tests.server.conftest import HI, RecordingEngine, model_of, raw_request, running_server, wait_until

Served = tuple[ApiServer, SharedEngine, RecordingEngine]
CHAT = "/v1/chat/completions"


def chat_body(server: ApiServer, **fields: Any) -> dict[str, Any]:
    return {"model": model_of(server), "messages": HI, **fields}


def post_raw(server: ApiServer, body: bytes) -> tuple[int, dict[str, str], Any]:
    return raw_request(server, "POST", CHAT, body=body, headers={"Content-Type": "application/json"})


def send_raw(server: ApiServer, data: bytes, timeout: float = 20) -> http.client.HTTPResponse:
    """Bytes as they are, then the answer read as HTTP (the socket's timeout fails a hang)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    with closing(sock):
        sock.sendall(data)
        response = http.client.HTTPResponse(sock)
        response.begin()
        response.read()  # buffered on the response: readable after the socket closed
        return response


def no_failures_logged(caplog: pytest.LogCaptureFixture) -> None:
    failures = [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL") or r.exc_info]
    assert not failures, [r.getMessage() for r in failures]


# ------------------------------------------------------------ bodies


@pytest.mark.parametrize(
    ("messages", "param"),
    [
        ([{"role": ["user"], "content": "hi"}], "messages[0].role"),
        ([{"role": {"x": 1}, "content": "hi"}], "messages[0].role"),
        ([{"role": "user", "content": {"text": "hi"}}], "messages[0].content"),
    ],
)
def test_odd_types_are_400_not_500(scripted_server: Served, messages: list, param: str) -> None:
    server = scripted_server[0]
    status, _, body = post_raw(server, json.dumps({"model": model_of(server), "messages": messages}).encode())
    assert status == 400 and body["error"]["param"] == param


@pytest.mark.parametrize(
    ("raw_value", "param"),
    [
        ("1e400", "temperature"),  # parses to inf
        ("-1e400", "top_p"),
        ("1e308", "temperature"),
        ("1e-320", "temperature"),  # greedy in all but name: refused with thinking on
        ("1" + "0" * 30, "top_k"),
        ("1" + "0" * 400, "temperature"),  # float() of it overflows
        ("1" + "0" * 30, "max_tokens"),
        ("1" + "0" * 30, "seed"),
    ],
)
def test_numbers_out_of_reach_are_400(scripted_server: Served, raw_value: str, param: str) -> None:
    server = scripted_server[0]
    text = json.dumps(chat_body(server)).rstrip("}") + f', "{param}": {raw_value}}}'
    status, _, body = post_raw(server, text.encode())
    assert status == 400, body
    assert body["error"]["param"] == param and body["error"]["type"] == "invalid_request_error"
    assert len(body["error"]["message"]) < 400  # the client's value is shown short, if at all


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1" + "0" * 5000])
def test_non_json_numbers_are_400(scripted_server: Served, constant: str) -> None:
    server = scripted_server[0]
    text = json.dumps(chat_body(server)).rstrip("}") + f', "temperature": {constant}}}'
    status, _, body = post_raw(server, text.encode())
    assert status == 400 and body["error"]["code"] == "invalid_json"


def test_deep_nesting_is_400(scripted_server: Served, caplog: pytest.LogCaptureFixture) -> None:
    server = scripted_server[0]
    for depth in (40_000, 2_000, MAX_DEPTH + 1):
        extra = "[" * depth + "]" * depth
        text = json.dumps(chat_body(server)).rstrip("}") + f', "metadata": {extra}}}'
        status, _, body = post_raw(server, text.encode())
        assert status == 400 and body["error"]["code"] == "invalid_json", depth
    no_failures_logged(caplog)
    assert post_raw(server, json.dumps(chat_body(server, metadata={"a": [[1]]})).encode())[0] == 200


def with_raw_content(server: ApiServer, content: str) -> str:
    """A chat body whose message content is ``content``, as raw JSON text."""
    body = json.dumps({"model": model_of(server), "messages": [{"role": "user", "content": "@@"}]})
    return body.replace('"@@"', content)


def test_lone_surrogate_is_400_without_exception_text(scripted_server: Served) -> None:
    server = scripted_server[0]
    for content in ('"\\ud800 hi"', '"hi \\udfff"', '[{"type": "text", "text": "\\udc00"}]'):
        text = with_raw_content(server, content)
        status, _, body = post_raw(server, text.encode())
        assert status == 400 and body["error"]["code"] == "invalid_text", content
        assert "codec" not in body["error"]["message"] and "position" not in body["error"]["message"]
    paired = with_raw_content(server, '"\\ud83d\\ude00"')
    assert post_raw(server, paired.encode())[0] == 200  # a proper pair is an emoji


def test_sampling_refuses_non_finite_and_tiny_greedy() -> None:
    for value in (float("nan"), float("inf"), 1e308):
        with pytest.raises(InvalidRequestError):
            resolve(Sampling(temperature=value), enable_thinking=False)
    with pytest.raises(InvalidRequestError):
        resolve(Sampling(top_p=float("nan")), enable_thinking=False)
    with pytest.raises(InvalidRequestError, match="Greedy"):
        resolve(Sampling(temperature=1e-320), enable_thinking=True)
    assert resolve(Sampling(temperature=1e-320), enable_thinking=False).temperature == 1e-320
    assert resolve(Sampling(temperature=2.0), enable_thinking=True).temperature == 2.0


def test_body_larger_than_the_context_could_hold_is_413_unread(scripted_server: Served) -> None:
    server = scripted_server[0]  # n_ctx 512: no conversation that fits needs 200 KB of JSON
    head = (
        f"POST {CHAT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: 200000\r\n\r\n"
    )
    response = send_raw(server, head.encode(), timeout=10)  # no body sent: answered before reading it
    assert response.status == 413 and response.getheader("Connection") == "close"


# ----------------------------------------------------- request lines


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET / HTTP/9x\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\nHost: localhost\r\n\r\n", 505),
        (b"\x00\xffgarbage \x01\x02\r\n\r\n", 400),
        (b"GET /health HTTP/1.1\r\n" + b"X: y\r\n" * 200 + b"\r\n", 431),
        (b"BREW /health HTTP/1.1\r\nHost: localhost\r\n\r\n", 501),
        # A TLS 1.2 ClientHello's first bytes: someone used https:// on this plain HTTP port.
        (bytes.fromhex("16030100f4010000f00303") + b"\x00" * 32 + b"\n", 400),
        (bytes.fromhex("16030100f4010000f00303"), 400),  # no newline at all
    ],
)
def test_malformed_request_lines_get_an_answer(
    scripted_server: Served, caplog: pytest.LogCaptureFixture, data: bytes, status: int
) -> None:
    server = scripted_server[0]
    caplog.set_level("INFO", logger="qwendesk.server")
    response = send_raw(server, data)
    assert response.status == status
    assert response.getheader("Connection") == "close"
    assert response.getheader("Content-Type") == "application/json"
    no_failures_logged(caplog)
    assert not any("aaaa" in r.getMessage() or "garbage" in r.getMessage() for r in caplog.records)
    assert raw_request(server, "GET", "/health")[0] == 200


# ------------------------------------------------------ connections


def test_accepted_connections_have_tcp_nodelay(scripted_server: Served) -> None:
    server = scripted_server[0]
    httpd = server._httpd
    assert httpd is not None
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    with closing(conn):
        conn.request("GET", "/health")
        conn.getresponse().read()
        port = conn.sock.getsockname()[1]
        with httpd._connections_lock:
            accepted = [s for s in httpd._connections if s.getpeername()[1] == port]
        assert len(accepted) == 1
        assert accepted[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        conn.request("GET", "/health")  # and the kept-alive connection still answers
        assert conn.getresponse().status == 200


@pytest.fixture
def strict_server(tmp_path: Path, scripted_model: Path) -> Iterator[ApiServer]:
    with running_server(tmp_path, scripted_model, max_connections=4, max_queued=1, header_timeout=0.5) as (
        server,
        _,
        _,
    ):
        yield server


def test_connections_beyond_the_cap_get_503_retry_after(strict_server: ApiServer) -> None:
    held = [socket.create_connection(("127.0.0.1", strict_server.port), timeout=20) for _ in range(4)]
    try:
        wait_until(lambda: len(strict_server._httpd._connections) == 4, "four connections")  # type: ignore[union-attr]
        response = send_raw(strict_server, b"")
        assert response.status == 503 and response.getheader("Retry-After")
    finally:
        for sock in held:
            sock.close()
    wait_until(lambda: raw_request(strict_server, "GET", "/health")[0] == 200, "a free slot again")


def test_slow_headers_are_cut_at_the_deadline(strict_server: ApiServer) -> None:
    sock = socket.create_connection(("127.0.0.1", strict_server.port), timeout=20)
    with closing(sock):
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")
        sock.settimeout(0.1)
        started = time.monotonic()
        cut = False
        while not cut and time.monotonic() - started < 15:  # a byte every 0.1 s would keep it forever
            try:
                sock.sendall(b"X")
                cut = sock.recv(1) == b""
            except TimeoutError:
                continue
            except OSError:
                cut = True
        assert cut
    silent = socket.create_connection(("127.0.0.1", strict_server.port), timeout=20)
    with closing(silent):  # connected, and nothing sent: cut too, not held for the idle timeout
        assert silent.recv(1) == b""
    # An idle kept-alive connection is not a slow one: it answers after more than the deadline.
    conn = http.client.HTTPConnection("127.0.0.1", strict_server.port, timeout=20)
    with closing(conn):
        conn.request("GET", "/health")
        conn.getresponse().read()
        time.sleep(1.0)
        conn.request("GET", "/health")
        assert conn.getresponse().status == 200


def test_full_queue_is_503_retry_after(strict_server: ApiServer) -> None:
    shared = strict_server.shared
    body = json.dumps({"model": model_of(strict_server), "messages": HI})
    results: list[int] = []
    with shared.use("the window"):
        waiting = threading.Thread(
            target=lambda: results.append(raw_request(strict_server, "POST", CHAT, body=body)[0])
        )
        waiting.start()
        wait_until(lambda: strict_server.queued == 1, "one request queued")
        status, headers, error = raw_request(strict_server, "POST", CHAT, body=body)
        assert status == 503 and headers.get("Retry-After") and error["error"]["code"] == "queue_full"
    waiting.join(timeout=60)
    assert results == [200]
