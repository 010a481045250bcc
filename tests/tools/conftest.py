"""Real MCP servers for the tool host's tests: tests/tools/servers/weather.py over stdio and HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.tools.config import ServerConfig
from app.tools.host import ToolHost

WEATHER = Path(__file__).parent / "servers" / "weather.py"


def stdio_weather(name: str = "weather", *extra: str) -> ServerConfig:
    return ServerConfig(name=name, command=sys.executable, args=(str(WEATHER), *extra))


@pytest.fixture
def host() -> Iterator[ToolHost]:
    h = ToolHost({"weather": stdio_weather()})
    yield h
    h.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def http_weather(tmp_path: Path) -> Iterator[str]:
    """The weather server over streamable HTTP on 127.0.0.1, in its own process; yields its URL."""
    port = _free_port()
    log = (tmp_path / "http-server.log").open("w")
    proc = subprocess.Popen([sys.executable, str(WEATHER), "http", str(port)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp_path / "http-server.log").read_text()) from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        try:
            proc.wait(3)  # uvicorn waits for a running slow() call; no need
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
