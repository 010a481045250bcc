"""A small real MCP server for the tool host's tests, written with the SDK.

Run as ``python weather.py`` (stdio) or ``python weather.py http PORT`` (streamable HTTP on
127.0.0.1). It writes a line to stderr at start and on each weather question, for the stderr tail.
"""

from __future__ import annotations

import os
import sys
import time

from mcp.server.mcpserver import MCPServer

server = MCPServer("weather")


@server.tool()
def get_weather(city: str) -> str:
    """The weather in a city (always the same: it is a test)."""
    print(f"weather asked for {city}", file=sys.stderr, flush=True)
    return f"Sunny in {city}, 21 °C"


@server.tool()
def slow(seconds: float) -> str:
    """Sleeps, to test timeouts and cancellation."""
    time.sleep(seconds)
    return f"slept {seconds}"


@server.tool()
def crash() -> str:
    """Exits the process in the middle of the call, after a last word on stderr."""
    print("about to crash: goodbye", file=sys.stderr, flush=True)
    os._exit(3)


@server.tool()
def big() -> str:
    """A 100 KB answer, to test the cap on results."""
    return "x" * 100_000


@server.tool()
def echo(text: str) -> str:
    """Says the text back."""
    return text


if __name__ == "__main__":
    print("weather server up", file=sys.stderr, flush=True)
    if len(sys.argv) >= 3 and sys.argv[1] == "http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run("stdio")
