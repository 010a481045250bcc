"""What the tool host hands out: servers' states, tools as the model sees them, and results as text.

Plain dataclasses, no SDK types, so the window and the chat loop never depend on the MCP package.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Status = Literal["stopped", "starting", "ready", "failed"]
MAX_RESULT_CHARS = 20_000
# What one server's tool list may put into every prompt: its tools, each description and schema.
MAX_TOOLS_PER_SERVER = 64
MAX_DESCRIPTION_CHARS = 2_000
MAX_SCHEMA_CHARS = 16_000
_NAME_OK = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class ToolInfo:
    server: str
    name: str  # the server's own name for it
    description: str
    input_schema: dict[str, Any]
    exposed_name: str = ""  # unique across servers: what the model calls

    def as_openai(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.exposed_name,
                "description": self.description,
                "parameters": self.input_schema,
            },
        }


@dataclass(frozen=True)
class ToolResult:
    text: str
    is_error: bool = False
    truncated: bool = False


@dataclass(frozen=True)
class ServerState:
    name: str
    status: Status = "stopped"
    tools: tuple[ToolInfo, ...] = ()
    error: str = ""
    stderr_tail: tuple[str, ...] = field(default=())  # the last ~40 lines of a stdio server's stderr


def bound_tools(tools: list[ToolInfo]) -> tuple[list[ToolInfo], list[str]]:
    """A server's tools as the model may see them, and one sentence per thing cut.

    A server's list is data from outside: it goes into every prompt, so it is bounded like any
    other input (a long description is cut, a tool with a huge schema is left out, and so are tools
    past MAX_TOOLS_PER_SERVER).
    """
    kept: list[ToolInfo] = []
    notes: list[str] = []
    for t in tools:
        if len(kept) == MAX_TOOLS_PER_SERVER:
            notes.append(f"only the first {MAX_TOOLS_PER_SERVER} of its {len(tools)} tools are offered")
            break
        if len(json.dumps(t.input_schema, ensure_ascii=False)) > MAX_SCHEMA_CHARS:
            notes.append(f"{t.name!r} left out: its input schema is over {MAX_SCHEMA_CHARS:,} characters")
            continue
        if len(t.description) > MAX_DESCRIPTION_CHARS:
            t = replace(t, description=t.description[: MAX_DESCRIPTION_CHARS - 1] + "…")
        kept.append(t)
    return kept, notes


def _clean(name: str) -> str:
    """Function names the OpenAI format accepts: letters, digits, _ and -, at most 64."""
    return (_NAME_OK.sub("_", name) or "tool")[:64]


def expose(tools_by_server: Iterable[tuple[str, list[ToolInfo]]]) -> list[ToolInfo]:
    """Give each tool its exposed name: its own name, prefixed with its server's only on a clash."""
    pairs = sorted(tools_by_server)
    counts: dict[str, int] = {}
    for _, tools in pairs:
        for t in tools:
            counts[_clean(t.name)] = counts.get(_clean(t.name), 0) + 1
    taken: set[str] = set()
    out = []
    for server, tools in pairs:
        for t in tools:
            base = _clean(t.name)
            wanted = base if counts[base] == 1 else _clean(f"{server}_{t.name}")
            exposed, n = wanted, 2
            while exposed in taken:  # a prefixed name may still clash, with another tool's own name
                exposed, n = _clean(f"{wanted[:60]}_{n}"), n + 1
            taken.add(exposed)
            out.append(replace(t, exposed_name=exposed))
    return out


def _describe(block: Any) -> str:
    """One content block as text: text as is, anything else described in a line."""
    kind = getattr(block, "type", None)
    if kind == "text":
        return str(block.text)
    if kind in ("image", "audio"):
        return f"[{kind} content: {block.mime_type}, about {len(block.data) * 3 // 4} bytes, not shown]"
    if kind == "resource_link":
        return f"[link to a resource: {getattr(block, 'name', '')} {block.uri}]"
    if kind == "resource":
        res = block.resource
        if hasattr(res, "text"):
            return f"[resource {res.uri}]\n{res.text}"
        return f"[binary resource {res.uri}, {getattr(res, 'mime_type', None) or 'unknown type'}, not shown]"
    return f"[{kind or type(block).__name__} content, not shown]"


def flatten(content: list[Any], structured: Any = None, is_error: bool = False) -> ToolResult:
    """A tool's content as one text, capped at MAX_RESULT_CHARS with a note saying how much was cut."""
    text = "\n".join(_describe(b) for b in content)
    if not content and structured is not None:
        text = json.dumps(structured, ensure_ascii=False)
    return cap(text, is_error)


def cap(text: str, is_error: bool = False) -> ToolResult:
    if len(text) <= MAX_RESULT_CHARS:
        return ToolResult(text, is_error)
    cut = len(text) - MAX_RESULT_CHARS
    note = (
        f"\n[Result truncated: {cut:,} of {len(text):,} characters were cut; "
        f"only the first {MAX_RESULT_CHARS:,} are shown.]"
    )
    return ToolResult(text[:MAX_RESULT_CHARS] + note, is_error, truncated=True)
