"""One HTTP connection: checks (Host, Origin, API key), routing, and the endpoints.

Chat completions wait for the shared engine, then answer in one JSON body or
as server-sent events (chunked, so a cut-off stream is never mistaken for a
finished one). A client that goes away stops its generation: a failed write
when streaming, an end-of-file seen on its socket otherwise.
"""

from __future__ import annotations

import io
import json
import logging
import select
import socket
from collections.abc import Callable, Iterator
from contextlib import closing
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from itertools import chain
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote, urlsplit

from app.backend.errors import EngineError
from app.server.access import bearer_ok, host_header_ok, origin_ok
from app.server.api_errors import ApiError, ClientGoneError, from_engine_error, model_not_found
from app.server.chat_request import ChatCall, parse_chat_request
from app.server.completion import REASONING, CallDelta, Delta, Item, run_completion
from app.server.json_body import parse_json
from app.server.shapes import Completion, model_list

if TYPE_CHECKING:
    from app.server.http_server import ApiHTTPServer

log = logging.getLogger("qwendesk.server")

MAX_BODY_BYTES = 16 * 1024 * 1024  # whatever the context
BODY_OVERHEAD_BYTES = 64 * 1024  # the JSON around the text: keys, roles, options
MAX_BODY_BYTES_PER_TOKEN = 64  # no text that fits the context takes more (JSON escapes included)
IDLE_TIMEOUT_S = 120  # a kept-alive connection with no next request is closed after this
HEADER_TIMEOUT_S = 10.0  # from a request's first byte to the end of its headers
BODY_TIMEOUT_S = 60.0  # to receive a body once its headers are in
TLS_HANDSHAKE = b"\x16"  # the first byte of a TLS ClientHello
PLAIN_HTTP_ONLY = "This server speaks plain HTTP, not HTTPS: use an http:// URL."
STATUS_TEXTS = {
    400: "The request line or its headers are malformed.",
    408: "The request took too long to arrive.",
    414: "The request line is too long.",
    431: "The request headers are too long or too many.",
    501: "This method is not supported.",
    505: "This server speaks HTTP/1.0 and HTTP/1.1 only.",
}
MODELS_PREFIX = "/v1/models/"


class ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "QwenDesk"
    timeout = IDLE_TIMEOUT_S
    server: ApiHTTPServer

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_GET

    # ------------------------------------------------------------ plumbing

    def handle_one_request(self) -> None:
        """Give a request's line and headers a deadline: from the connection's start for its first
        request, from the first byte for later ones (a kept-alive connection may idle in between)."""
        self._headers_sent = False
        self._body_pending = False
        self._allow: tuple[str, ...] = ()
        fresh = not getattr(self, "_kept_alive", False)
        self._kept_alive = True
        deadline = self.server.api.header_timeout
        if fresh:
            self.server.watch(self.connection, deadline)
        try:
            try:
                first = cast("io.BufferedReader", self.rfile).peek(1)[:1]
            except (OSError, ValueError):  # idle past the timeout, or the connection failed or was cut
                first = b""
            if not first:
                self.close_connection = True
                return
            if first == TLS_HANDSHAKE:
                self.send_error(400, PLAIN_HTTP_ONLY)
                return
            if not fresh:
                self.server.watch(self.connection, deadline)
            super().handle_one_request()
        finally:
            self.server.unwatch(self.connection)

    def parse_request(self) -> bool:
        ok = super().parse_request()
        if self.server.unwatch(self.connection):  # the deadline cut it: the headers may be partial
            self.close_connection = True
            return False
        return ok

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The standard library's refusals (a malformed request line or headers) as JSON; then close.

        The client's bytes are never echoed; ``self.path`` and friends may be unset here.
        """
        status = int(code)
        text = message if message == PLAIN_HTTP_ONLY else STATUS_TEXTS.get(status, "The request was refused.")
        log.info("a malformed request was refused: %d", status)  # its line may hold a query: not logged
        if getattr(self, "request_version", "HTTP/0.9") not in ("HTTP/1.0", "HTTP/1.1"):
            self.request_version = "HTTP/1.1"  # a garbled line still gets a status line and headers
        self.close_connection = True
        self._headers_sent = False
        self._allow = ()
        self._body_pending = True  # Connection: close
        self._send_error(ApiError(status, text))

    def _dispatch(self) -> None:
        self._headers_sent = False
        self._body_pending = self._has_body()
        self._allow = ()
        try:
            self._route(urlsplit(self.path).path)
        except ApiError as exc:
            self._send_error(exc)
        except (ClientGoneError, OSError):
            log.info(
                "%s %s: the client went away (its generation, if any, was stopped)",
                self.command,
                self._path(),
            )
            self.close_connection = True
        except Exception:
            log.exception("%s %s failed", self.command, self._path())
            self._send_error(ApiError(500, "The QwenDesk API server failed on this request (see its log)."))

    def _route(self, path: str) -> None:
        api = self.server.api
        if api.loopback:
            if not host_header_ok(self.headers.get("Host")):
                raise ApiError(
                    403,
                    "This server only answers requests addressed to localhost, 127.0.0.1 or [::1] "
                    "(a foreign Host header is how DNS rebinding reaches local servers).",
                    code="host_not_allowed",
                )
            if not origin_ok(self.headers.get("Origin")):
                raise ApiError(
                    403, "Requests from web pages of other sites are refused.", code="origin_not_allowed"
                )
        if (path == "/v1" or path.startswith("/v1/")) and api.api_key is not None:
            self._authorize(api.api_key)
        endpoint = self._endpoint(path)
        if endpoint is None:
            raise ApiError(
                404,
                f"No endpoint {path}: this server has GET /v1/models, POST /v1/chat/completions and "
                "GET /health.",
                code="not_found",
            )
        methods, run = endpoint
        if self.command not in methods:
            self._allow = methods
            raise ApiError(
                405,
                f"{self.command} is not allowed on {path}: use {' or '.join(methods)}.",
                code="method_not_allowed",
            )
        run()

    def _endpoint(self, path: str) -> tuple[tuple[str, ...], Callable[[], None]] | None:
        if path == "/health":
            return ("GET",), self._health
        if path == "/v1/models":
            return ("GET",), self._models
        if path.startswith(MODELS_PREFIX) and len(path) > len(MODELS_PREFIX):
            model = unquote(path[len(MODELS_PREFIX) :])
            return ("GET",), lambda: self._model(model)
        if path == "/v1/chat/completions":
            return ("POST",), self._chat
        return None

    def _authorize(self, api_key: str) -> None:
        header = self.headers.get("Authorization")
        if not header:
            raise ApiError(
                401,
                "An API key is required: send it as 'Authorization: Bearer <key>'.",
                code="missing_api_key",
            )
        if not bearer_ok(header, api_key):
            raise ApiError(401, "Incorrect API key.", code="invalid_api_key")

    # ----------------------------------------------------------- endpoints

    def _health(self) -> None:
        model = self.server.api.served_model()
        self._send_json(200, {"status": "ok", "model": model.id if model else None})

    def _models(self) -> None:
        self._send_json(200, model_list(self.server.api.served_model()))

    def _model(self, model_id: str) -> None:
        model = self.server.api.served_model()
        if model is None or model.id != model_id:
            raise model_not_found(model_id, model.id if model else None)
        self._send_json(200, model.card())

    def _served_id(self, asked: str) -> str:
        model = self.server.api.served_model()
        if model is None or model.id != asked:
            raise model_not_found(asked, model.id if model else None)
        return model.id

    def _chat(self) -> None:
        call = parse_chat_request(self._read_json())
        self._served_id(call.model)  # fail fast, before queueing for the engine
        api = self.server.api
        owner = object()
        with api.engine_for(owner, self._client_gone) as engine:
            model = self._served_id(call.model)  # the window may have loaded another meanwhile
            events = run_completion(engine, call, lambda: api.shared.cancel(owner))
            with closing(events):
                try:
                    first = next(events)
                    if not call.stream:
                        self._complete(chain([first], events), model)
                        return
                except EngineError as exc:  # before anything was sent: a proper HTTP status
                    raise from_engine_error(exc) from None
                self._stream(chain([first], events), call, model)

    def _complete(self, items: Iterator[Item], model: str) -> None:
        parts: dict[str, list[str]] = {REASONING: [], "content": []}
        calls: list[dict[str, Any]] = []
        for item in items:
            if self._client_gone():
                raise ClientGoneError()
            if isinstance(item, Delta):
                parts[item.field].append(item.text)
                continue
            if isinstance(item, CallDelta):
                calls.append(item.call)
                continue
            reasoning = "".join(parts[REASONING]) or None
            body = Completion(model).message(
                "".join(parts["content"]), reasoning, item.finish_reason, item.done, calls
            )
            self._send_json(200, body)
            return

    def _stream(self, items: Iterator[Item], call: ChatCall, model: str) -> None:
        response = Completion(model)
        usage = call.include_usage
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._headers_sent = True
        self._event(response.chunk({"role": "assistant"}, with_usage=usage))
        try:
            for item in items:
                if self._client_gone():
                    raise ClientGoneError()
                if isinstance(item, Delta):
                    self._event(response.chunk({item.field: item.text}, with_usage=usage))
                    continue
                if isinstance(item, CallDelta):
                    delta = {"tool_calls": [{"index": item.index, **item.call}]}
                    self._event(response.chunk(delta, with_usage=usage))
                    continue
                self._event(response.chunk({}, item.finish_reason, with_usage=usage))
                if usage:
                    self._event(response.usage_chunk(item.done))
                break
            self._chunk(b"data: [DONE]\n\n")
        except EngineError as exc:  # after the stream began: an error event, then the end
            log.warning("%s %s: %s", self.command, self._path(), exc.message)
            self._event(from_engine_error(exc).body())
            self.close_connection = True
        self._chunk(b"")

    # ------------------------------------------------------------- helpers

    def _has_body(self) -> bool:
        return (
            self.headers.get("Content-Length", "0").strip() not in ("", "0")
            or "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        )

    def _read_json(self) -> Any:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise ApiError(
                411, "Send the request body with a Content-Length (chunked bodies are not accepted)."
            )
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            raise ApiError(411, "A Content-Length header is required.")
        try:
            length = int(length_header)
            if length < 0:
                raise ValueError
        except ValueError:
            raise ApiError(400, f"Bad Content-Length: {length_header!r}.") from None
        limit, why = self._body_limit()
        if length > limit:
            raise ApiError(
                413,
                f"The request body is {length:,} bytes; this server takes at most {limit:,}{why}.",
                code="request_too_large",
            )
        self.server.watch(self.connection, BODY_TIMEOUT_S)
        try:
            data = self.rfile.read(length)
        finally:
            cut = self.server.unwatch(self.connection)
        self._body_pending = False
        if len(data) < length or cut:
            raise ClientGoneError()
        return parse_json(data)

    def _body_limit(self) -> tuple[int, str]:
        """Refused unread: a body larger than any conversation that fits the loaded context could be."""
        model = self.server.api.served_model()
        if model is None:
            return MAX_BODY_BYTES, ""
        fits = BODY_OVERHEAD_BYTES + MAX_BODY_BYTES_PER_TOKEN * model.max_model_len
        if fits >= MAX_BODY_BYTES:
            return MAX_BODY_BYTES, ""
        return fits, f" with the loaded model's {model.max_model_len:,}-token context"

    def _client_gone(self) -> bool:
        """The client closed its end (an end-of-file is waiting), or the socket failed."""
        sock = self.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def _send_json(self, status: int, obj: object, retry_after: int | None = None) -> None:
        body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if retry_after is not None:
            self.send_header("Retry-After", str(retry_after))
        if self._allow:
            self.send_header("Allow", ", ".join(self._allow))
        if self._body_pending:  # an unread body would be taken for the next request
            self.send_header("Connection", "close")
        self.end_headers()
        self._headers_sent = True
        if getattr(self, "command", None) != "HEAD":
            self.wfile.write(body)

    def _send_error(self, exc: ApiError) -> None:
        if self._headers_sent:  # too late for a status: end the connection instead
            self.close_connection = True
            return
        try:
            self._send_json(exc.status, exc.body(), exc.retry_after)
        except OSError:
            self.close_connection = True

    def _event(self, obj: object) -> None:
        self._chunk(b"data: " + json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n\n")

    def _chunk(self, data: bytes) -> None:
        """One piece of a chunked body; empty data ends it."""
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _path(self) -> str:
        path = getattr(self, "path", None)  # unset when the request line was malformed
        return urlsplit(path).path if isinstance(path, str) else "-"

    def version_string(self) -> str:
        return self.server_version  # no Python version on the wire

    # ------------------------------------------------------------- logging

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One line per request: method, path, status (never bodies, queries or headers)."""
        status = code.value if isinstance(code, HTTPStatus) else code
        log.info("%s %s %s", getattr(self, "command", None) or "-", self._path(), status)

    def log_error(self, format: str, *args: Any) -> None:
        log.info("HTTP: " + format, *args)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("HTTP: " + format, *args)
