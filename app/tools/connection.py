"""One MCP server's session, run as one task on the tool host's loop (app.tools.host).

The task enters the transport and the ClientSession, publishes "ready" with the tools, and waits
until asked to stop or until the server's messages end (a crash). The contexts are entered and left
by that one task, as anyio requires; calls from other tasks only send requests through the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import anyio
import httpx2
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp.types import CONNECTION_CLOSED, Implementation, PaginatedRequestParams

from app import __version__
from app.tools.config import ServerConfig
from app.tools.results import MAX_TOOLS_PER_SERVER, ServerState, ToolInfo, ToolResult, bound_tools, flatten

log = logging.getLogger("qwendesk.tools")
START_TIMEOUT_S = 30.0  # the handshake and the tool list
STDERR_LINES = 40


class StderrTail:
    """The last lines a stdio server wrote to stderr, read by a thread from a pipe (works everywhere)."""

    def __init__(self) -> None:
        self._lines: deque[str] = deque(maxlen=STDERR_LINES)
        self._lock = threading.Lock()
        self.done = threading.Event()
        r, w = os.pipe()
        self.writer = os.fdopen(w, "w", encoding="utf-8", errors="replace")  # the child's stderr
        threading.Thread(target=self._read, args=(r,), name="mcp-stderr", daemon=True).start()

    def _read(self, fd: int) -> None:
        try:
            with os.fdopen(fd, "rb") as f:
                while line := f.readline(4096):
                    with self._lock:
                        self._lines.append(line.decode("utf-8", "replace").rstrip("\r\n"))
        finally:
            self.done.set()

    def lines(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._lines)


def _message(exc: BaseException) -> str:
    """The innermost exception's text: task groups wrap the real cause in exception groups."""
    while (inner := getattr(exc, "exceptions", None)) and len(inner) >= 1:
        exc = inner[0]
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class Connection:
    """Lives on the host's loop; ``state`` is replaced (never mutated) so other threads may read it."""

    def __init__(self, cfg: ServerConfig, headers: dict[str, str], notify: Callable[[], None]) -> None:
        self.cfg = cfg
        self.headers = headers
        self.state = ServerState(cfg.name, "starting")
        self.tail = StderrTail() if cfg.command is not None else None
        self.session: ClientSession | None = None
        self._notify = notify
        self._stop = asyncio.Event()
        self._dead = asyncio.Event()  # the server's messages ended: it exited or hung up

    def snapshot(self) -> ServerState:
        return replace(self.state, stderr_tail=self.tail.lines()) if self.tail else self.state

    def _set(self, **changes: Any) -> None:
        self.state = replace(self.state, **changes)
        self._notify()

    def request_stop(self) -> None:
        self._stop.set()

    def _transport(self) -> contextlib.AbstractAsyncContextManager[Any]:
        cfg = self.cfg
        if cfg.command is not None:
            assert self.tail is not None
            params = StdioServerParameters(command=cfg.command, args=list(cfg.args), env=cfg.env or None)
            return stdio_client(params, errlog=self.tail.writer)
        return self._http()

    @contextlib.asynccontextmanager
    async def _http(self) -> AsyncIterator[Any]:
        """The SDK leaves a client it was given open: this one is closed with the session."""
        assert self.cfg.url is not None
        async with (
            httpx2.AsyncClient(headers=self.headers, timeout=httpx2.Timeout(30.0, read=300.0)) as client,
            streamable_http_client(self.cfg.url, http_client=client) as streams,
        ):
            yield streams

    async def _pump(self, source: Any, sink: Any) -> None:
        """Forward the transport's messages to the session; their end is how a crash shows."""
        try:
            async with sink:
                async for item in source:
                    await sink.send(item)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream):
            pass
        finally:
            self._dead.set()

    async def _handshake(self, session: ClientSession) -> list[ToolInfo]:
        await session.initialize()
        tools: list[ToolInfo] = []
        cursor: str | None = None
        for _ in range(50):  # pages
            page = await session.list_tools(params=PaginatedRequestParams(cursor=cursor) if cursor else None)
            tools += [
                ToolInfo(self.cfg.name, t.name, t.description or "", dict(t.input_schema)) for t in page.tools
            ]
            if not (cursor := page.next_cursor) or len(tools) > MAX_TOOLS_PER_SERVER:
                break
        kept, notes = bound_tools(tools)
        for note in notes:
            log.warning("MCP server %s: %s", self.cfg.name, note)
        return kept

    async def run(self) -> None:
        pump: asyncio.Task[None] | None = None
        try:
            async with contextlib.AsyncExitStack() as stack:
                try:
                    read, write = await stack.enter_async_context(self._transport())
                finally:
                    if self.tail:
                        self.tail.writer.close()  # the child has its copy (or never started)
                sink, mine = anyio.create_memory_object_stream[Any](0)
                pump = asyncio.ensure_future(self._pump(read, sink))
                info = Implementation(name="QwenDesk", version=__version__)
                session = await stack.enter_async_context(ClientSession(mine, write, client_info=info))
                try:
                    tools = await asyncio.wait_for(self._handshake(session), START_TIMEOUT_S)
                except asyncio.TimeoutError:
                    raise RuntimeError(f"it did not answer within {START_TIMEOUT_S:.0f} seconds") from None
                self.session = session
                self._set(status="ready", tools=tuple(tools), error="")
                stop, dead = (
                    asyncio.ensure_future(self._stop.wait()),
                    asyncio.ensure_future(self._dead.wait()),
                )
                await asyncio.wait({stop, dead}, return_when=asyncio.FIRST_COMPLETED)
                stop.cancel()
                dead.cancel()
                self.session = None
            if not self._stop.is_set():
                await self._wait_for_stderr()
                self._set(status="failed", tools=(), error=self._exit_text())
                return
            self._set(status="stopped", tools=(), error="")
        except Exception as exc:
            self.session = None
            log.warning("MCP server %s failed: %s", self.cfg.name, _message(exc))
            await self._wait_for_stderr()
            if self._stop.is_set():
                self._set(status="stopped", tools=(), error="")
            else:
                self._set(status="failed", tools=(), error=self._start_text(exc))
        finally:
            if pump is not None and not pump.done():
                pump.cancel()

    async def _wait_for_stderr(self) -> None:
        """A dead child's last words may still be in the pipe: read them before reporting."""
        for _ in range(20):
            if self.tail is None or self.tail.done.is_set():
                return
            await asyncio.sleep(0.05)

    def _last_words(self) -> str:
        lines = [x for x in (self.tail.lines() if self.tail else ()) if x.strip()]
        return f' Its last message: "{lines[-1].strip()[:300]}"' if lines else ""

    def _exit_text(self) -> str:
        how = "exited" if self.cfg.command is not None else "closed the connection"
        return f'The tool server "{self.cfg.name}" {how} unexpectedly.{self._last_words()}'

    def _start_text(self, exc: BaseException) -> str:
        return f'The tool server "{self.cfg.name}" could not start: {_message(exc)}.{self._last_words()}'

    async def call(self, tool: str, arguments: dict[str, Any]) -> ToolResult:
        """Never raises (but for cancellation): failures become results the model can read."""
        session = self.session
        if session is None or self.state.status != "ready":
            return ToolResult(
                f'The tool server "{self.cfg.name}" is not running ({self.state.status}).', True
            )
        try:
            res = await session.call_tool(tool, arguments)
        except MCPError as exc:
            if exc.code == CONNECTION_CLOSED or self._dead.is_set():
                self._dead.set()
                for _ in range(60):  # the state says "failed" by the time the caller hears of it
                    if self.state.status != "ready":
                        break
                    await asyncio.sleep(0.05)
                return ToolResult(
                    f'The tool "{tool}" could not finish: its server "{self.cfg.name}" stopped '
                    f"during the call.{self._last_words()}",
                    True,
                )
            return ToolResult(f'The tool "{tool}" failed: {exc.message}', True)
        except Exception as exc:
            return ToolResult(f'The tool "{tool}" failed: {_message(exc)}', True)
        return flatten(res.content, res.structured_content, res.is_error)
