"""``qwendesk chat --mcp-config FILE``: MCP tools in the terminal, allowed by name only.

A terminal chat reads its messages from stdin, so it cannot stop to ask: a call runs only if its
tool was named with ``--allow-tool`` (or ``--allow-all-tools``); any other call is denied and the
model is told so. Servers start when the command starts and stop with it.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from app.backend.protocol import ToolCallRequest
from app.chat.tool_events import Decision, ToolInfoLike
from app.store.models import ToolCard

START_WAIT_S = 30.0  # how long a server may take to start before the chat goes on without it
FINAL = ("done", "failed", "denied")


def add_arguments(p: argparse.ArgumentParser) -> None:
    tools = p.add_argument_group("tools (MCP servers)")
    tools.add_argument(
        "--mcp-config",
        metavar="FILE",
        help='an mcp.json ({"mcpServers": {NAME: {"command", "args", "env"} | {"url", "headers"}}}): its '
        "servers start with the command and their tools are offered to the model",
    )
    tools.add_argument(
        "--allow-tool",
        action="append",
        default=[],
        metavar="NAME",
        help="run calls of this tool without asking (repeatable); calls of other tools are denied",
    )
    tools.add_argument("--allow-all-tools", action="store_true", help="run every call the model makes")
    tools.add_argument(
        "--max-tool-rounds",
        type=int,
        default=8,
        metavar="N",
        help="at most N generations with tool calls per answer (default: 8)",
    )


def check_flags(args: argparse.Namespace) -> str | None:
    """A usage problem with the tool flags, or None."""
    if (args.allow_tool or args.allow_all_tools) and not args.mcp_config:
        return "--allow-tool and --allow-all-tools go with --mcp-config"
    if args.max_tool_rounds < 1:
        return "--max-tool-rounds must be at least 1"
    return None


@contextmanager
def tool_host(args: argparse.Namespace, err: TextIO) -> Iterator[Any]:
    """The servers of --mcp-config, started (None without the flag); stopped on the way out."""
    if not args.mcp_config:
        yield None
        return
    from app.tools.config import load_config
    from app.tools.host import ToolHost

    loaded = load_config(Path(args.mcp_config))
    for problem in loaded.errors:
        err.write(f"qwendesk: mcp: {problem}\n")
    host = ToolHost(loaded.servers)
    try:
        for name in loaded.servers:
            state = host.start(name, wait_s=START_WAIT_S)
            if state.status == "ready":
                err.write(f"qwendesk: mcp: {name}: {len(state.tools)} tools\n")
            else:
                err.write(f"qwendesk: mcp: {name}: {state.status}: {state.error or 'no answer yet'}\n")
        yield host
    finally:
        host.close()


def consent_for(args: argparse.Namespace) -> Callable[[ToolCallRequest, ToolInfoLike | None], Decision]:
    """Allowed by name on the command line, or denied: a terminal chat cannot stop to ask."""
    allowed = set(args.allow_tool)

    def consent(call: ToolCallRequest, info: ToolInfoLike | None) -> Decision:
        if args.allow_all_tools:
            return "once"
        names = {call.name} | ({info.name, info.exposed_name} if info is not None else set())
        return "once" if names & allowed else "deny"

    return consent


class CardOutput:
    """A card as the terminal shows it: a ``tool_call`` event when it appears, a ``tool_result``
    when it ends (JSON lines), or two short lines on stderr."""

    def __init__(self, as_json: bool, out: TextIO, err: TextIO) -> None:
        self.as_json, self.out, self.err = as_json, out, err
        self._announced: set[str] = set()
        self._ended: set[str] = set()

    def show(self, card: ToolCard) -> None:
        if card.id not in self._announced:
            self._announced.add(card.id)
            self._write(
                {"event": "tool_call", "id": card.id, "server": card.server, "name": card.name,
                 "arguments": card.arguments if not card.raw or card.arguments else card.raw},
                f"[tool] {card.server}/{card.name} {json.dumps(card.arguments, ensure_ascii=False)}",
            )  # fmt: skip
        if card.state in FINAL and card.id not in self._ended:
            self._ended.add(card.id)
            content = card.result or ("The user denied this call." if card.state == "denied" else "")
            first = content.strip().splitlines()[0] if content.strip() else ""
            self._write(
                {"event": "tool_result", "id": card.id, "name": card.name, "content": content,
                 "is_error": card.is_error or card.state != "done"},
                f"[tool] {card.name}: {card.state}{': ' + first[:120] if first else ''}",
            )  # fmt: skip

    def _write(self, obj: dict[str, Any], human: str) -> None:
        if self.as_json:
            self.out.write(json.dumps(obj, ensure_ascii=False) + "\n")
            self.out.flush()
        else:
            self.err.write(human + "\n")
            self.err.flush()
