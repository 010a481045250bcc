"""``ApiServer``: the listening socket, its thread, and turns on the shared engine.

The window runs it on a background thread (``start``/``shutdown`` return
quickly, so the Qt main thread can call them); ``qwendesk serve`` runs it in the
foreground (``serve_forever``). Requests for completions queue for the one
engine through :class:`SharedEngine`, so the window and API clients take turns.
"""

from __future__ import annotations

import errno
import json
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from http.server import ThreadingHTTPServer
from typing import Any

from app.backend.engine import Engine
from app.backend.shared_engine import EngineBusyError, SharedEngine
from app.server.access import PortInUseError, ServerSetupError, check_exposure, is_loopback
from app.server.api_errors import ApiError, ClientGoneError, shutting_down
from app.server.handler import HEADER_TIMEOUT_S, ApiHandler
from app.server.shapes import ServedModel, served_model

log = logging.getLogger("qwendesk.server")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
WAIT_TIMEOUT_S = 600.0  # how long a request queues for the engine before a 503
WAIT_SLICE_S = 0.25  # a queued request notices shutdown or its client leaving this often
POLL_S = 0.1  # how soon the accept loop notices shutdown()
MAX_CONNECTIONS = 64  # open connections (a thread each); more are answered 503 and closed
MAX_QUEUED = 16  # requests waiting for the engine; more are answered 503 at once
RETRY_AFTER_S = 2  # what a 503 for a full server suggests
REAP_S = 0.1  # how often deadlines are checked
ADDR_IN_USE = {errno.EADDRINUSE, 10048}  # 10048: WSAEADDRINUSE


class ApiHTTPServer(ThreadingHTTPServer):
    """A thread per connection; remembers open connections so shutdown can cut them."""

    daemon_threads = True  # a connection never keeps the app alive
    allow_reuse_address = sys.platform != "win32"  # on Windows it would let two servers share a port
    request_queue_size = 32

    def __init__(self, address: tuple[str, int], api: ApiServer) -> None:
        self.api = api
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._deadlines: dict[socket.socket, float] = {}  # reading a request's head or body
        self._expired: set[socket.socket] = set()
        self._deadlines_changed = threading.Condition()
        self._reaping = True
        super().__init__(address, ApiHandler)
        threading.Thread(target=self._reap, name="qwendesk-api-deadlines", daemon=True).start()

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        with suppress(OSError):  # small responses leave at once, not after the peer's delayed ACK
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, address

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            full = len(self._connections) >= self.api.max_connections
            if not full:
                self._connections.add(request)
        if full:
            log.warning(
                "refused a connection from %s: %d are open", client_address[0], len(self._connections)
            )
            self._refuse(request)
            return
        super().process_request(request, client_address)

    def _refuse(self, request: socket.socket) -> None:
        """503 on the accept loop's thread, without waiting for the client: a few hundred bytes."""
        error = ApiError(
            503,
            "The QwenDesk API server has too many open connections: try again shortly.",
            code="too_many_connections",
        )
        body = json.dumps(error.body()).encode("utf-8")
        head = (
            "HTTP/1.1 503 Service Unavailable\r\nServer: QwenDesk\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nRetry-After: {RETRY_AFTER_S}\r\nConnection: close\r\n\r\n"
        )
        with suppress(OSError):
            request.setblocking(False)
            request.send(head.encode("ascii") + body)
            request.shutdown(socket.SHUT_WR)
            request.recv(65536)  # what the client sent already, so closing does not reset
        with suppress(OSError):
            request.close()

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        self.unwatch(request)
        super().shutdown_request(request)

    def watch(self, conn: socket.socket, seconds: float) -> None:
        """Cut ``conn`` if ``unwatch`` is not called within ``seconds`` (slow clients hold a thread)."""
        with self._deadlines_changed:
            self._deadlines[conn] = time.monotonic() + seconds
            self._expired.discard(conn)

    def unwatch(self, conn: socket.socket) -> bool:
        """Stop watching ``conn``; True if its deadline passed and it was cut."""
        with self._deadlines_changed:
            self._deadlines.pop(conn, None)
            if conn in self._expired:
                self._expired.discard(conn)
                return True
            return False

    def _reap(self) -> None:
        while self._reaping:
            time.sleep(REAP_S)
            now = time.monotonic()
            with self._deadlines_changed:
                late = [conn for conn, deadline in self._deadlines.items() if deadline <= now]
                for conn in late:
                    del self._deadlines[conn]
                    self._expired.add(conn)
            for conn in late:
                log.info("cut a connection that was too slow to send its request")
                with suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)

    def server_close(self) -> None:
        self._reaping = False
        super().server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up between requests is normal; anything else goes to the log."""
        if isinstance(sys.exc_info()[1], OSError):
            log.debug("connection from %s ended abruptly", client_address[0], exc_info=True)
        else:
            log.exception("the connection from %s failed", client_address[0])

    def cut_connections(self) -> None:
        """Wake every connection's thread: reads see the end, writes fail."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class ApiHTTPServer6(ApiHTTPServer):
    address_family = socket.AF_INET6


class ApiServer:
    """An OpenAI-compatible ``/v1`` over ``shared``'s loaded model.

    Raises :class:`NetworkExposureError` at once for a non-loopback ``host``
    without ``allow_network`` and an ``api_key``; ``start``/``bind`` raise
    :class:`PortInUseError` when the port is taken. ``port=0`` picks a free port.
    """

    def __init__(
        self,
        shared: SharedEngine,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        api_key: str | None = None,
        allow_network: bool = False,
        wait_timeout: float = WAIT_TIMEOUT_S,
        max_connections: int = MAX_CONNECTIONS,
        max_queued: int = MAX_QUEUED,
        header_timeout: float = HEADER_TIMEOUT_S,
    ) -> None:
        check_exposure(host, allow_network=allow_network, api_key=api_key)
        if not 0 <= port <= 65535:
            raise ServerSetupError(
                f"The port must be between 1 and 65535, or 0 for any free one (got {port})."
            )
        self.shared = shared
        self.host = host.strip()
        self.api_key = api_key or None
        self.loopback = is_loopback(self.host)
        self.wait_timeout = wait_timeout
        self.max_connections = max_connections
        self.max_queued = max_queued
        self.header_timeout = header_timeout
        self._port = port
        self._lock = threading.Lock()
        self._httpd: ApiHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._loop_running = False
        self._closing = threading.Event()
        self._active: set[object] = set()  # owners of generations running now
        self._queued = 0  # requests waiting for the engine
        self._active_changed = threading.Condition()

    # ------------------------------------------------------------ where

    @property
    def port(self) -> int:
        """The port listened on (the real one once bound, when 0 was asked for)."""
        return self._port

    @property
    def url(self) -> str:
        """The base URL for OpenAI clients, e.g. ``http://127.0.0.1:8765/v1``."""
        host = self.host.strip("[]")
        if host in ("", "0.0.0.0", "localhost"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self._port}/v1"

    @property
    def running(self) -> bool:
        with self._lock:
            return self._loop_running

    # -------------------------------------------------------- lifecycle

    def bind(self) -> None:
        """Listen on the port now (``start`` and ``serve_forever`` do it if needed)."""
        with self._lock:
            if self._closing.is_set():
                raise RuntimeError("This API server was shut down: make a new one.")
            if self._httpd is not None:
                return
            host = self.host.strip("[]")
            host = "127.0.0.1" if host == "localhost" else host
            cls = ApiHTTPServer6 if ":" in host else ApiHTTPServer
            try:
                self._httpd = cls((host, self._port), self)
            except OSError as exc:
                raise _bind_error(exc, self.host, self._port) from None
            self._port = self._httpd.server_address[1]
        log.info("API server listening on %s", self.url)

    def start(self) -> None:
        """Serve on a daemon thread; returns as soon as the port listens."""
        self.bind()
        self._mark_running()
        self._thread = threading.Thread(target=self._loop, name="qwendesk-api-server", daemon=True)
        self._thread.start()

    def serve_forever(self) -> None:
        """Serve on this thread until ``shutdown()`` (from another thread) or an exception."""
        self.bind()
        self._mark_running()
        self._loop()

    def shutdown(self, timeout: float = 2.0) -> None:
        """Stop listening, cancel this server's generations and cut its connections.

        Waits at most ``timeout`` seconds for running generations to hand the engine back.
        Call it from another thread than the one in ``serve_forever`` (or after that returned).
        """
        with self._lock:
            httpd = self._httpd
            if httpd is None or self._closing.is_set():
                self._closing.set()
                return
            self._closing.set()
            loop_running = self._loop_running
        if loop_running:
            httpd.shutdown()  # the accept loop ends within POLL_S
        with self._active_changed:
            owners = list(self._active)
        for owner in owners:
            self.shared.cancel(owner)
        httpd.cut_connections()
        with self._active_changed:
            self._active_changed.wait_for(lambda: not self._active, timeout=timeout)
        httpd.server_close()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=timeout)
        log.info("API server stopped")

    def _mark_running(self) -> None:
        with self._lock:
            if self._loop_running:
                raise RuntimeError("The API server is already serving.")
            self._loop_running = True

    def _loop(self) -> None:
        assert self._httpd is not None
        try:
            self._httpd.serve_forever(poll_interval=POLL_S)
        finally:
            with self._lock:
                self._loop_running = False

    # ------------------------------------------------ for the handler

    @property
    def queued(self) -> int:
        """How many requests are waiting for the engine (the window or another client has it)."""
        with self._active_changed:
            return self._queued

    @property
    def closing(self) -> bool:
        return self._closing.is_set()

    def served_model(self) -> ServedModel | None:
        return served_model(self.shared.engine)

    @contextmanager
    def engine_for(self, owner: object, client_gone: Callable[[], bool]) -> Iterator[Engine]:
        """Wait for the shared engine (at most ``wait_timeout``) and hold it for ``owner``."""
        with ExitStack() as stack:
            engine = self._wait_for_engine(owner, client_gone, stack)
            with self._active_changed:
                self._active.add(owner)
            try:
                if self._closing.is_set():  # shutdown() may have missed this owner
                    raise shutting_down()
                yield engine
            finally:
                with self._active_changed:
                    self._active.discard(owner)
                    self._active_changed.notify_all()

    def _wait_for_engine(self, owner: object, client_gone: Callable[[], bool], stack: ExitStack) -> Engine:
        """Take the engine in short slices, so shutdown or a client leaving ends the wait."""
        deadline = time.monotonic() + self.wait_timeout
        with self._waiting():
            while True:
                if self._closing.is_set():
                    raise shutting_down()
                if client_gone():
                    raise ClientGoneError()
                remaining = deadline - time.monotonic()
                try:
                    return stack.enter_context(
                        self.shared.use(owner, timeout=max(0.0, min(WAIT_SLICE_S, remaining)))
                    )
                except EngineBusyError:
                    if time.monotonic() >= deadline:
                        raise ApiError(
                            503,
                            f"The engine stayed busy for {self.wait_timeout:.0f} s (the chat window or other "
                            "API clients are using it): try again later.",
                            code="engine_busy",
                            retry_after=RETRY_AFTER_S,
                        ) from None

    @contextmanager
    def _waiting(self) -> Iterator[None]:
        with self._active_changed:
            if self._queued >= self.max_queued:
                raise ApiError(
                    503,
                    f"{self._queued} requests are already waiting for the engine: try again shortly.",
                    code="queue_full",
                    retry_after=RETRY_AFTER_S,
                )
            self._queued += 1
        try:
            yield
        finally:
            with self._active_changed:
                self._queued -= 1


def _bind_error(exc: OSError, host: str, port: int) -> ServerSetupError:
    if exc.errno in ADDR_IN_USE:
        return PortInUseError(
            f"Port {port} on {host} is already in use (another QwenDesk or another server?): "
            "choose another port (--port).",
            port=port,
        )
    if exc.errno in (errno.EACCES, 10013):
        return ServerSetupError(
            f"Not allowed to listen on {host} port {port} (reserved, privileged or in use): "
            "choose another port."
        )
    return ServerSetupError(f"Cannot listen on {host} port {port}: {exc.strerror or exc}.")
