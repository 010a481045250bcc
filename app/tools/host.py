"""ToolHost: the MCP client sessions on one asyncio loop in a background thread, behind a plain API.

Every method is synchronous, thread-safe and bounded by its timeout, so the window's worker threads
and the CLI can use it alike. Nothing starts until ``start(name)``: no thread, no process, no socket.
Failures never raise into the caller: a state says "failed", a call returns ToolResult(is_error=True)
with a sentence the model can answer from.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import replace
from typing import Any, TypeVar

from app.remote.keys import KeyringUnavailableError
from app.tools.config import ServerConfig
from app.tools.connection import Connection
from app.tools.results import ServerState, ToolInfo, ToolResult, expose
from app.tools.state import ToolsState

log = logging.getLogger("qwendesk.tools")
T = TypeVar("T")


class ToolHost:
    def __init__(
        self,
        servers: Mapping[str, ServerConfig] | None = None,
        *,
        state: ToolsState | None = None,
        on_change: Callable[[str], None] | None = None,
    ) -> None:
        """``state`` supplies the keyring's headers; ``on_change(name)`` runs on the host's thread."""
        self._configs = dict(servers or {})
        self._tools_state = state
        self.on_change = on_change
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._conns: dict[str, Connection] = {}
        self._runs: dict[str, concurrent.futures.Future[None]] = {}
        self._calls: set[concurrent.futures.Future[ToolResult]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    # The loop.

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=loop.run_forever, name="mcp-host", daemon=True)
            self._thread.start()
            self._loop = loop
        return self._loop

    def _submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self._ensure_loop())

    def _notify(self, name: str) -> None:
        with self._changed:
            self._changed.notify_all()
        if self.on_change is not None:
            try:
                self.on_change(name)
            except Exception:  # a listener's bug must not stop the host
                log.exception("tool host listener failed")

    def _wait(self, done: Callable[[], bool], wait_s: float) -> None:
        deadline = time.monotonic() + max(wait_s, 0.0)
        with self._changed:
            while not done() and (left := deadline - time.monotonic()) > 0:
                self._changed.wait(min(left, 0.2))

    # Servers.

    def set_servers(self, servers: Mapping[str, ServerConfig]) -> None:
        """A new config; running servers keep running as they were until restarted."""
        with self._lock:
            self._configs = dict(servers)

    def server_names(self) -> list[str]:
        with self._lock:
            return sorted(set(self._configs) | set(self._conns))

    def start(self, name: str, wait_s: float = 0.0) -> ServerState:
        """Start ``name`` (no-op if starting or ready); wait up to ``wait_s`` for ready or failed."""
        with self._lock:
            if self._closed:
                return ServerState(name, "failed", error="The tool host is closed.")
            conn = self._conns.get(name)
            busy = conn is not None and conn.state.status in ("starting", "ready")
            cfg = self._configs.get(name)
            if not busy:
                if cfg is None:
                    return ServerState(
                        name, "failed", error=f'There is no tool server named "{name}" in mcp.json.'
                    )
                try:
                    headers = (
                        self._tools_state.headers_for(cfg) if self._tools_state and cfg.url else cfg.headers
                    )
                except KeyringUnavailableError as exc:
                    return ServerState(name, "failed", error=exc.message)
                conn = Connection(cfg, dict(headers), lambda: self._notify(name))
                self._conns[name] = conn
                self._runs[name] = self._submit(conn.run())
        self._notify(name)
        self._wait(lambda: self._status(name) != "starting", wait_s)
        return self.state(name)

    def _status(self, name: str) -> str:
        conn = self._conns.get(name)
        return conn.state.status if conn else "stopped"

    def stop(self, name: str, wait_s: float = 10.0) -> ServerState:
        """Stop ``name`` (a stdio child gets its stdin closed, then SIGTERM, then SIGKILL)."""
        with self._lock:
            conn, run = self._conns.get(name), self._runs.get(name)
        if conn is not None and run is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(conn.request_stop)
            try:
                run.result(timeout=wait_s)
            except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
                log.warning("MCP server %s did not stop within %.0f s", name, wait_s)
            except Exception:
                log.exception("MCP server %s stopped with an error", name)
        return self.state(name)

    def restart(self, name: str, wait_s: float = 0.0) -> ServerState:
        self.stop(name)
        return self.start(name, wait_s)

    def state(self, name: str) -> ServerState:
        with self._lock:
            conn = self._conns.get(name)
        if conn is None:
            return ServerState(name)
        snap = conn.snapshot()
        if snap.status == "ready":
            return _with_exposed(snap, self.tools())
        return snap

    def tools(self) -> list[ToolInfo]:
        """Every ready server's tools, with names unique across servers."""
        with self._lock:
            ready = [(n, list(c.state.tools)) for n, c in self._conns.items() if c.state.status == "ready"]
        return expose(ready)

    # Calls.

    def call(self, exposed_name: str, arguments: dict[str, Any], timeout_s: float = 60.0) -> ToolResult:
        """Run a tool; every failure (timeout, crash, unknown tool, cancel) is an error result."""
        tool = next((t for t in self.tools() if t.exposed_name == exposed_name), None)
        if tool is None:
            names = ", ".join(t.exposed_name for t in self.tools()) or "none"
            return ToolResult(f'There is no tool named "{exposed_name}". Available tools: {names}.', True)
        if not isinstance(arguments, dict):
            return ToolResult(f'The arguments of "{exposed_name}" must be a JSON object.', True)
        with self._lock:
            conn = self._conns.get(tool.server)
            if conn is None or self._closed:
                return ToolResult(f'The tool server "{tool.server}" is not running.', True)
            future = self._submit(conn.call(tool.name, arguments))
            self._calls.add(future)
        try:
            return future.result(timeout=timeout_s)
        except concurrent.futures.TimeoutError:
            future.cancel()
            return ToolResult(
                f'The tool "{exposed_name}" did not answer within {timeout_s:g} seconds, so the '
                "call was abandoned. Try again later or without this tool.",
                True,
            )
        except concurrent.futures.CancelledError:
            return ToolResult(f'The call to "{exposed_name}" was cancelled by the user.', True)
        except Exception as exc:  # Connection.call never raises; this is a bug, not the model's problem
            log.exception("tool call %s failed", exposed_name)
            return ToolResult(f'The tool "{exposed_name}" failed: {exc}', True)
        finally:
            with self._lock:
                self._calls.discard(future)

    def cancel_calls(self) -> int:
        """Abandon every running call (they return "cancelled"); how many there were."""
        with self._lock:
            calls = list(self._calls)
        return sum(f.cancel() for f in calls)

    # Shutdown.

    def close(self, timeout_s: float = 15.0) -> None:
        """Stop every server (children terminated, killed if they linger) and the loop; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            conns, runs = list(self._conns.values()), list(self._runs.values())
        self.cancel_calls()
        loop = self._loop
        if loop is None:
            return
        for conn in conns:
            loop.call_soon_threadsafe(conn.request_stop)
        concurrent.futures.wait(runs, timeout=timeout_s)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        if not loop.is_running():
            loop.close()


def _with_exposed(snap: ServerState, tools: list[ToolInfo]) -> ServerState:
    return replace(snap, tools=tuple(t for t in tools if t.server == snap.name))
