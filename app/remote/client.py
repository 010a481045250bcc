"""The HTTP side of a remote engine: ``GET /models`` and a streamed ``POST /chat/completions``.

httpx2 (huggingface_hub's HTTP client, already installed) with its server-sent events reader. Every
failure becomes one of the remote ``EngineError`` kinds with words a user can act on: the address,
what went wrong, and what to try.

Requests carry a plain ``User-Agent: QwenDesk/<version>`` and the bearer key when there is one, and
nothing else about this computer. Servers on this computer are reached directly (no proxy from the
environment); others honour ``HTTPS_PROXY``/``NO_PROXY`` and ``SSL_CERT_FILE`` like other tools.

Stopping: :class:`StreamAbort` shuts the request's socket down from any thread. Closing a response
from another thread does not wake a thread blocked reading it, but ``shutdown(SHUT_RDWR)`` does, and
the server sees the connection close, which is how OpenAI-compatible servers learn to stop
generating. The socket is caught through httpcore's ``trace`` extension the moment it is connected,
so this works while the server is still evaluating the prompt and has not sent a byte. Connections
are not kept alive, so every request has its own socket to shut down.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx2

from app import __version__
from app.backend import errors
from app.remote.endpoint import Endpoint

CONNECT_TIMEOUT = 10.0
# Between two pieces of the answer: a big model's prompt evaluation can take minutes on its own.
DEFAULT_READ_TIMEOUT = 300.0
MODELS_READ_TIMEOUT = 30.0
WRITE_TIMEOUT = 60.0
ERROR_BODY_LIMIT = 64 * 1024
MESSAGE_LIMIT = 300

_MODEL_MISSING = re.compile(r"model.*(does not exist|not found|no such)", re.I | re.S)


@dataclass(frozen=True)
class RemoteModel:
    """One entry of ``GET /models``; ``context_length`` if the server says (vLLM, SGLang, llama-server)."""

    id: str
    context_length: int | None = None
    owned_by: str | None = None


class Cancelled(Exception):
    """The request was stopped with :meth:`StreamAbort.abort`."""


class StreamAbort:
    """Stops one request from any thread (or a signal handler), even before the server answers."""

    def __init__(self) -> None:
        self._lock = threading.RLock()  # re-entrant: a SIGINT handler may run while the same thread holds it
        self._sockets: list[socket.socket] = []
        self.cancelled = False

    def abort(self) -> None:
        with self._lock:
            self.cancelled = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    def trace(self, name: str, info: dict[str, Any]) -> None:
        """httpcore's ``trace`` request extension: note each socket as soon as it is connected."""
        if not name.endswith(("connect_tcp.complete", "start_tls.complete")):
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sockets.append(sock)
            cancelled = self.cancelled
        if cancelled:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    # The plain socket method, also for an SSLSocket: its own shutdown() would drop the TLS object
    # under the reading thread's feet. OSError: already closed.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class ChatStream:
    """One streamed chat completion: iterate for its chunks (JSON objects); always close it."""

    def __init__(self, response: httpx2.Response, endpoint: Endpoint, abort: StreamAbort, timeout: float):
        self._response = response
        self._endpoint = endpoint
        self._abort = abort
        self._timeout = timeout
        self.saw_done = False  # the server ended the stream with "data: [DONE]"

    def __iter__(self) -> Iterator[dict[str, Any]]:
        host = self._endpoint.host
        try:
            for event in httpx2.EventSource(self._response):
                data = event.data.strip()
                if data == "[DONE]":
                    self.saw_done = True
                    return
                if not data:
                    continue
                try:
                    chunk = json.loads(data)
                except ValueError:
                    raise errors.RemoteProtocolError(
                        f"{host} sent a piece of the answer that is not valid JSON: {_clip(data, 120)}"
                    ) from None
                if not isinstance(chunk, dict):
                    raise errors.RemoteProtocolError(
                        f"{host} sent a piece of the answer that is not a JSON object: {_clip(data, 120)}"
                    )
                if event.event == "error" or ("error" in chunk and not chunk.get("choices")):
                    raise errors.RemoteServerError(
                        f"{host} failed while answering: {_message_of(chunk) or _clip(data, MESSAGE_LIMIT)}"
                    )
                yield chunk
        except httpx2.HTTPError as exc:
            if self._abort.cancelled:
                raise Cancelled() from None
            raise _transport_error(exc, self._endpoint, self._timeout) from None

    def close(self) -> None:
        self._response.close()

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class RemoteClient:
    """Talks to one OpenAI-compatible server; one instance per engine, closed with it."""

    def __init__(
        self,
        endpoint: Endpoint,
        api_key: str | None = None,
        *,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        if read_timeout <= 0 or connect_timeout <= 0:
            raise ValueError("Timeouts must be positive.")
        self.endpoint = endpoint
        self.read_timeout = read_timeout
        self.has_key = bool(api_key)
        headers = {"User-Agent": f"QwenDesk/{__version__}", "Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._timeout = httpx2.Timeout(read_timeout, connect=connect_timeout, write=WRITE_TIMEOUT)
        self._http = httpx2.Client(
            headers=headers,
            timeout=self._timeout,
            limits=httpx2.Limits(max_keepalive_connections=0),  # a socket per request (see StreamAbort)
            follow_redirects=False,
            trust_env=not endpoint.is_loopback,
        )

    def close(self) -> None:
        self._http.close()

    def url(self, path: str) -> str:
        return f"{self.endpoint.base_url}/{path}"

    # ------------------------------------------------------------------ models

    def list_models(self) -> list[RemoteModel]:
        """``GET /models``; raises a remote EngineError (unreachable, unauthorized, timeout, …)."""
        timeout = httpx2.Timeout(
            min(self.read_timeout, MODELS_READ_TIMEOUT), connect=self._timeout.connect, write=WRITE_TIMEOUT
        )
        request = self._http.build_request("GET", self.url("models"), timeout=timeout)
        response = self._send(request, StreamAbort(), timeout=timeout.read or MODELS_READ_TIMEOUT)
        try:
            if response.status_code != 200:
                raise self._status_error(response, "models")
            body = _read_limited(response, 16 * 1024 * 1024)
        except httpx2.HTTPError as exc:
            raise _transport_error(exc, self.endpoint, self.read_timeout) from None
        finally:
            response.close()
        try:
            data = json.loads(body)
        except ValueError:
            raise errors.RemoteProtocolError(
                f"{self.url('models')} did not answer with JSON "
                f"({_clip(body.decode('utf-8', 'replace'), 80)}). "
                "Is this the address of an OpenAI-compatible server (usually ending in /v1)?"
            ) from None
        entries = data.get("data") if isinstance(data, dict) else None
        if entries is None and isinstance(data, dict) and "data" in data:
            entries = []  # Ollama without models says "data": null
        if not isinstance(entries, list):
            raise errors.RemoteProtocolError(
                f'{self.url("models")} did not answer with an OpenAI model list (no "data" list).'
            )
        models = []
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry["id"]:
                owner = entry.get("owned_by")
                models.append(
                    RemoteModel(
                        entry["id"], _context_length(entry), owner if isinstance(owner, str) else None
                    )
                )
        return models

    # -------------------------------------------------------------------- chat

    def stream_chat(self, body: dict[str, Any], abort: StreamAbort) -> ChatStream:
        """Send a streamed chat completion; the stream is open when this returns (close it).

        Raises Cancelled when ``abort`` was used, or a remote EngineError.
        """
        request = self._http.build_request(
            "POST", self.url("chat/completions"), json=body, headers={"Accept": "text/event-stream"}
        )
        response = self._send(request, abort, timeout=self.read_timeout)
        try:
            if response.status_code != 200:
                raise self._status_error(response, "chat/completions", model=str(body.get("model", "")))
            content_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
            if content_type != "text/event-stream":
                sample = _read_limited(response, ERROR_BODY_LIMIT)
                message = _server_message(sample)
                if content_type == "application/json" and _is_error_json(sample):
                    raise errors.RemoteServerError(f"{self.endpoint.host} failed: {message}", status=200)
                raise errors.RemoteProtocolError(
                    f"{self.endpoint.host} did not stream the answer: it sent "
                    f"{content_type or 'no content type'} instead of server-sent events "
                    f"({_clip(message, 120)})."
                )
        except httpx2.HTTPError as exc:
            response.close()
            if abort.cancelled:
                raise Cancelled() from None
            raise _transport_error(exc, self.endpoint, self.read_timeout) from None
        except BaseException:
            response.close()
            raise
        return ChatStream(response, self.endpoint, abort, self.read_timeout)

    # ------------------------------------------------------------------ shared

    def _send(self, request: httpx2.Request, abort: StreamAbort, *, timeout: float) -> httpx2.Response:
        request.extensions = {**request.extensions, "trace": abort.trace}
        if abort.cancelled:
            raise Cancelled()
        try:
            return self._http.send(request, stream=True)
        except httpx2.HTTPError as exc:
            if abort.cancelled:
                raise Cancelled() from None
            raise _transport_error(exc, self.endpoint, timeout) from None

    def _status_error(self, response: httpx2.Response, path: str, *, model: str = "") -> errors.EngineError:
        status = response.status_code
        try:
            message = _server_message(_read_limited(response, ERROR_BODY_LIMIT))
        except httpx2.HTTPError:
            message = ""
        host = self.endpoint.host
        said = f"HTTP {status}: {message}" if message else f"HTTP {status}"
        if status in (401, 403):
            if self.has_key:
                return errors.RemoteAuthError(f"{host} refused the API key ({said}). Check the key.")
            return errors.RemoteAuthError(f"{host} needs an API key ({said}).")
        if model and ((status == 404 and "model" in message.lower()) or _MODEL_MISSING.search(message)):
            return errors.RemoteModelMissingError(f"{host} does not serve the model {model!r} ({said}).")
        if status == 404:
            return errors.RemoteServerError(
                f"{host} has no /{path} ({said}). Is the address the server's OpenAI-compatible base URL "
                "(usually ending in /v1)?",
                status=status,
            )
        if 300 <= status < 400:
            where = response.headers.get("location", "")
            return errors.RemoteServerError(
                f"{host} redirects to {where or 'another address'}: use that address instead.", status=status
            )
        return errors.RemoteServerError(f"{host} answered {said}", status=status)


# ------------------------------------------------------------------- helpers


def _context_length(entry: dict[str, Any]) -> int | None:
    """vLLM and SGLang say ``max_model_len``; llama-server says ``meta.n_ctx_train`` (or ``n_ctx``)."""
    meta = entry.get("meta")
    if not isinstance(meta, dict):
        meta = {}
    for value in (
        entry.get("max_model_len"),
        entry.get("context_length"),
        entry.get("context_window"),
        meta.get("n_ctx"),
        meta.get("n_ctx_train"),
    ):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def _read_limited(response: httpx2.Response, limit: int) -> bytes:
    buf = bytearray()
    for piece in response.iter_bytes():
        buf += piece
        if len(buf) >= limit:
            break
    return bytes(buf[:limit])


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _message_of(data: dict[str, Any]) -> str | None:
    """The message of an OpenAI-style error (``{"error": {"message": …}}``) or its common variants."""
    err = data.get("error")
    if isinstance(err, dict):
        for key in ("message", "msg", "detail"):
            if isinstance(err.get(key), str) and err[key]:
                return err[key]
    if isinstance(err, str) and err:
        return err
    for key in ("message", "detail"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
        if value:  # FastAPI's validation errors: a list of objects
            return json.dumps(value, ensure_ascii=False)
    return None


def _is_error_json(body: bytes) -> bool:
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and "error" in data


def _server_message(body: bytes) -> str:
    """What the server said, for a person: the error message if JSON, else the text (tags removed)."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    message = _message_of(data) if isinstance(data, dict) else None
    if message is None:
        message = re.sub(r"<[^>]+>", " ", text) if text.lstrip().startswith("<") else text
    return _clip(message, MESSAGE_LIMIT)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _transport_error(exc: httpx2.HTTPError, endpoint: Endpoint, read_timeout: float) -> errors.EngineError:
    """An httpx2 failure in words: unreachable (with the likely reason), timeout, or a broken stream."""
    url, host = endpoint.base_url, endpoint.host
    if isinstance(exc, httpx2.ConnectTimeout):
        return errors.RemoteTimeoutError(
            f"Connecting to {url} took longer than {CONNECT_TIMEOUT:.0f} s. Is the address right, and is the "
            "server up and reachable from this computer (firewall, VPN)?"
        )
    if isinstance(exc, httpx2.ReadTimeout):
        return errors.RemoteTimeoutError(
            f"{host} sent nothing for {read_timeout:g} s. The server may be overloaded or stuck; a very long "
            "prompt on a big model can also take this long (raise the timeout if so)."
        )
    if isinstance(exc, httpx2.TimeoutException):
        return errors.RemoteTimeoutError(f"The connection to {host} timed out ({type(exc).__name__}).")
    if isinstance(exc, (httpx2.ConnectError, httpx2.ProxyError, httpx2.UnsupportedProtocol)):
        causes = list(_causes(exc))
        if any(isinstance(c, socket.gaierror) for c in causes):
            return errors.RemoteUnreachableError(
                f"Cannot reach {url}: the name {endpoint.hostname!r} could not be resolved. "
                "Check the address."
            )
        if any(isinstance(c, ConnectionRefusedError) for c in causes) or "refused" in str(exc).lower():
            return errors.RemoteUnreachableError(
                f"Cannot reach {url}: the connection was refused. Is the server running, and on this port?"
            )
        tls = next((c for c in causes if isinstance(c, ssl.SSLError)), None)
        if tls is not None:
            hint = (
                " If the server speaks plain HTTP, use an http:// address."
                if "WRONG_VERSION_NUMBER" in str(tls) or "record layer" in str(tls)
                else ""
            )
            return errors.RemoteUnreachableError(
                f"Cannot connect securely to {url}: {getattr(tls, 'reason', None) or tls}.{hint}"
            )
        if isinstance(exc, httpx2.ProxyError):
            return errors.RemoteUnreachableError(f"Cannot reach {url} through the proxy: {exc}.")
        return errors.RemoteUnreachableError(f"Cannot reach {url}: {exc or type(exc).__name__}.")
    if isinstance(exc, (httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.WriteError)):
        return errors.RemoteProtocolError(
            f"The connection to {host} broke off before the answer was complete "
            f"({exc or type(exc).__name__})."
        )
    if isinstance(exc, httpx2.SSEError):
        return errors.RemoteProtocolError(f"{host} sent a stream QwenDesk cannot read: {exc}")
    return errors.RemoteProtocolError(f"Talking to {host} failed: {exc or type(exc).__name__}.")
