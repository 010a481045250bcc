"""A small OpenAI-compatible server for the remote engine's tests, with misbehaviour on demand.

Runs on 127.0.0.1 in threads of the test process (``http.server``). It records every request
(path, headers, JSON body) and answers ``/v1/chat/completions`` the way ``mode`` says: as vLLM
does with a reasoning parser (``reasoning_content`` or ``reasoning`` deltas, a usage chunk), with
``<think>`` tags in the content, with only ``</think>`` (a template that opened the thought in the
prompt), or by failing in one of the ways real servers fail.

It speaks HTTP/1.1 with keep-alive for plain JSON answers (as uvicorn does), and ends every stream
by closing the connection, so a stream can be cut anywhere.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REASONING = ("The", " user", " greets", " me", ".")
ANSWER = ("Hello", "!", " How", " can", " I", " help", "?")
MODEL = "Qwen/Qwen3-8B"
EXTRAS = ("top_k", "min_p", "presence_penalty", "seed", "chat_template_kwargs")


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class FakeOpenAI:
    """Set ``mode`` (and ``models``, ``api_key``) before a request; read ``requests`` after."""

    mode: str = "vllm"
    models: list[dict[str, Any]] = field(
        default_factory=lambda: [{"id": MODEL, "object": "model", "owned_by": "vllm", "max_model_len": 40960}]
    )
    models_body: bytes | None = None  # answer /models with these bytes instead (as text/html)
    api_key: str | None = None  # require "Authorization: Bearer <api_key>"
    requests: list[Recorded] = field(default_factory=list)
    received: threading.Event = field(default_factory=threading.Event)  # a chat request arrived
    client_gone: threading.Event = field(default_factory=threading.Event)  # it closed while we stalled
    release: threading.Event = field(default_factory=threading.Event)  # ends any stall (teardown)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def chats(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


USAGE = {
    "id": "chatcmpl-test",
    "object": "chat.completion.chunk",
    "choices": [],
    "usage": {
        "prompt_tokens": 11,
        "completion_tokens": 14,
        "total_tokens": 25,
        "completion_tokens_details": {"reasoning_tokens": 5},
    },
}


def script(mode: str) -> list[dict[str, Any] | str]:
    """The stream for ``mode``: chunk objects, or raw ``data:`` payload strings."""
    role = _chunk({"role": "assistant", "content": ""})
    if mode in ("vllm", "vllm-reasoning", "vllm-both", "no-usage", "strict"):
        name = {"vllm-reasoning": "reasoning"}.get(mode, "reasoning_content")
        thoughts = []
        for i, piece in enumerate(REASONING):
            delta = {name: ("\n" + piece if i == 0 else piece)}
            if mode == "vllm-both":
                delta = {"reasoning_content": delta[name], "reasoning": delta[name]}
            thoughts.append(_chunk(delta))
        answer = [_chunk({"content": "\n\n"})] + [_chunk({"content": p}) for p in ANSWER]
        tail: list[dict[str, Any] | str] = [_chunk({}, "stop")]
        if mode != "no-usage":
            tail.append(USAGE)
        return [role, *thoughts, *answer, *tail, "[DONE]"]
    if mode == "tags":
        pieces = ["<think>", *REASONING, "</think>", "\n\n", *ANSWER]
        return [role, *(_chunk({"content": p}) for p in pieces), _chunk({}, "stop"), "[DONE]"]
    if mode == "prompt-opened":
        pieces = ["\n", *REASONING, "\n</", "think>", "\n\n", *ANSWER]
        return [role, *(_chunk({"content": p}) for p in pieces), _chunk({}, "stop"), "[DONE]"]
    if mode == "tool-calls":  # vLLM with --tool-call-parser hermes: calls as deltas, in pieces
        calls: list[list[dict[str, Any]]] = [
            [{"index": 0, "id": "chatcmpl-tool-a", "type": "function", "function": {"name": "get_weather"}}],
            [{"index": 0, "function": {"arguments": '{"city": '}}],
            [{"index": 0, "function": {"arguments": '"Paris"}'}}],
            [{"index": 1, "id": "chatcmpl-tool-b", "function": {"name": "get_time", "arguments": "{}"}}],
        ]
        return [
            role,
            _chunk({"reasoning_content": "Need the weather."}),
            _chunk({"content": "Checking."}),
            *(_chunk({"tool_calls": c}) for c in calls),
            _chunk({}, "tool_calls"),
            USAGE,
            "[DONE]",
        ]
    if mode == "tool-text":  # a server without a tool parser: the call is text in the content
        call = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'
        pieces = ["Checking.", "\n<tool", "_call>", call[len("<tool_call>") :]]
        return [role, *(_chunk({"content": p}) for p in pieces), _chunk({}, "stop"), "[DONE]"]
    if mode == "plain":
        return [role, *(_chunk({"content": p}) for p in ANSWER), _chunk({}, "stop"), "[DONE]"]
    if mode == "length":
        return [role, *(_chunk({"reasoning_content": p}) for p in REASONING), _chunk({}, "length"), "[DONE]"]
    if mode == "bad-json":
        return [role, _chunk({"content": "Hello"}), '{"choices": [{"delta": {"content": "!"}']
    if mode == "cut":
        return [role, _chunk({"content": "Hello"}), _chunk({"content": "!"})]
    if mode == "error-event":
        return [role, _chunk({"content": "Hello"}), {"error": {"message": "the engine died", "code": 500}}]
    raise ValueError(mode)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, unless a response says otherwise

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _record(self) -> Recorded:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        rec = Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        self.server.fake.requests.append(rec)
        return rec

    def _json(self, status: int, obj: object) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self) -> bool:
        key = self.server.fake.api_key
        if key is None or self.headers.get("authorization") == f"Bearer {key}":
            return True
        self._json(401, {"error": {"message": "Invalid API key.", "type": "authentication_error"}})
        return False

    def do_GET(self) -> None:
        fake = self.server.fake
        self._record()
        if self.path != "/v1/models":
            self._json(404, {"detail": "Not Found"})
            return
        if not self._authorized():
            return
        if fake.models_body is not None:
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(fake.models_body)
            return
        self._json(200, {"object": "list", "data": fake.models})

    def do_POST(self) -> None:
        fake = self.server.fake
        rec = self._record()
        fake.received.set()
        if self.path != "/v1/chat/completions":
            self._json(404, {"detail": "Not Found"})
            return
        if not self._authorized():
            return
        body = rec.body or {}
        mode = fake.mode
        if body.get("model") not in [m["id"] for m in fake.models]:
            self._json(
                404, {"error": {"message": f"The model `{body.get('model')}` does not exist.", "code": 404}}
            )
        elif mode == "server-error":
            self._json(500, {"error": {"message": "CUDA out of memory while allocating the KV cache"}})
        elif mode == "strict" and any(name in body for name in EXTRAS):
            name = next(name for name in EXTRAS if name in body)
            self._json(400, {"error": {"message": f"Unrecognized request argument supplied: {name}"}})
        elif mode == "stall":
            self._stall()
        elif mode == "stall-after-first":
            self._stream([_chunk({"role": "assistant"}), _chunk({"reasoning_content": "The"})])
            self._stall()
        elif mode == "html":
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"<html><body>Welcome to nginx!</body></html>")
        else:
            self._stream(script(mode))

    def _stream(self, items: list[dict[str, Any] | str]) -> None:
        self.close_connection = True  # the body ends when the connection closes
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        for item in items:
            data = item if isinstance(item, str) else json.dumps(item)
            self.wfile.write(f"data: {data}\n\n".encode())
            self.wfile.flush()

    def _stall(self) -> None:
        """Send nothing more; notice when the client closes the connection."""
        self.close_connection = True
        sock = self.connection
        sock.settimeout(0.05)
        while not self.server.fake.release.is_set():
            try:
                if sock.recv(1) == b"":
                    self.server.fake.client_gone.set()
                    return
            except TimeoutError:
                continue
            except OSError:
                self.server.fake.client_gone.set()
                return


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeOpenAI) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class RunningFake:
    """Starts the fake server in a thread; ``stop`` ends stalls, the server and its socket."""

    def __init__(self) -> None:
        self.fake = FakeOpenAI()
        self._server = _Server(self.fake)
        self.fake.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-openai", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.fake.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
