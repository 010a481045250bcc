"""The ``mcp.json`` users paste between apps (Claude Desktop, Cursor, LM Studio), kept in data_dir().

Only the standard shape lives here, so the file stays pasteable both ways; QwenDesk's own per-server
state (enabled, trusted) is in ``tools-state.json`` (app.tools.state). Loading never raises: a bad
file or a bad entry becomes an error message naming the server and the field, and the good entries
still load. Editing refuses to touch a file it cannot parse, so a user's typo is never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.paths import data_dir

FILE_NAME = "mcp.json"


class ConfigError(Exception):
    """A change that cannot be made (the file is unreadable, or the entry is invalid)."""


@dataclass(frozen=True)
class ServerConfig:
    """One server: a command to run (stdio) or a URL (streamable HTTP)."""

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "stdio" if self.command is not None else "http"

    def fingerprint(self) -> str:
        """What trust is given to: the program and its arguments, or the URL."""
        what = (
            {"command": self.command, "args": list(self.args)}
            if self.command is not None
            else {"url": self.url}
        )
        return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        if self.command is not None:
            out: dict[str, Any] = {"command": self.command, "args": list(self.args)}
            if self.env:
                out["env"] = dict(self.env)
            return out
        out = {"url": self.url}
        if self.headers:
            out["headers"] = dict(self.headers)
        return out


@dataclass
class LoadedConfig:
    """The servers that loaded, and one sentence per problem for the window to show."""

    servers: dict[str, ServerConfig] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def config_path() -> Path:
    return data_dir() / FILE_NAME


def _str_map(name: str, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(f'Server "{name}": "{key}" must be an object of text values.')
    return dict(value)


def parse_entry(name: str, entry: Any) -> ServerConfig:
    """One ``mcpServers`` entry; raises ConfigError naming the server and the field."""
    if not isinstance(name, str) or not name.strip():
        raise ConfigError("A server has an empty name.")
    if not isinstance(entry, dict):
        raise ConfigError(f'Server "{name}": the entry must be an object with "command" or "url".')
    has_command, has_url = "command" in entry, "url" in entry
    if has_command == has_url:
        raise ConfigError(
            f'Server "{name}": give either "command" (a program to run) or "url", not both.'
            if has_command
            else f'Server "{name}": "command" or "url" is missing.'
        )
    if entry.get("type") == "sse":
        raise ConfigError(
            f'Server "{name}": "type": "sse" (the old HTTP transport) is not supported; '
            "use the server's streamable HTTP URL."
        )
    if has_command:
        command, args = entry["command"], entry.get("args", [])
        if not isinstance(command, str) or not command.strip():
            raise ConfigError(f'Server "{name}": "command" must be a non-empty text.')
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise ConfigError(f'Server "{name}": "args" must be a list of texts.')
        env = _str_map(name, "env", entry.get("env", {}))
        return ServerConfig(name=name, command=command, args=tuple(args), env=env)
    url = entry["url"]
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ConfigError(f'Server "{name}": "url" must start with http:// or https://.')
    headers = _str_map(name, "headers", entry.get("headers", {}))
    return ServerConfig(name=name, url=url, headers=headers)


def _read_raw(path: Path) -> dict[str, Any]:
    """The whole file as JSON (an empty one if there is none); raises ConfigError."""
    if not path.exists():
        return {"mcpServers": {}}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name} cannot be read: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
        ) from exc
    if not isinstance(raw, dict):
        raise ConfigError(f'{path.name} must hold an object with "mcpServers".')
    servers = raw.setdefault("mcpServers", {})
    if not isinstance(servers, dict):
        raise ConfigError(f'{path.name}: "mcpServers" must be an object of servers by name.')
    return raw


def load_config(path: Path | None = None) -> LoadedConfig:
    """Every valid server, and an error per invalid one; never raises, never starts anything."""
    out = LoadedConfig()
    try:
        raw = _read_raw(path or config_path())
    except ConfigError as exc:
        out.errors.append(str(exc))
        return out
    for name, entry in raw["mcpServers"].items():
        try:
            out.servers[name] = parse_entry(name, entry)
        except ConfigError as exc:
            out.errors.append(str(exc))
    return out


def atomic_write_json(path: Path, data: Any) -> None:
    """Write to a temporary file beside it, then rename: a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_server(server: ServerConfig, path: Path | None = None, *, replace: bool = True) -> None:
    """Add or edit one entry, keeping the rest of the file (other keys, other servers) as it was."""
    parse_entry(server.name, server.to_json())  # the same checks a loaded entry gets
    path = path or config_path()
    raw = _read_raw(path)
    if not replace and server.name in raw["mcpServers"]:
        raise ConfigError(f'A server named "{server.name}" already exists.')
    old = raw["mcpServers"].get(server.name)
    entry = {**old, **server.to_json()} if isinstance(old, dict) else server.to_json()
    for stale in ("command", "args", "env") if server.command is None else ("url", "headers"):
        entry.pop(stale, None)  # a server switched between stdio and HTTP
    if server.command is not None and not server.env:
        entry.pop("env", None)
    if server.url is not None and not server.headers:
        entry.pop("headers", None)
    raw["mcpServers"][server.name] = entry
    atomic_write_json(path, raw)


def add_server(server: ServerConfig, path: Path | None = None) -> None:
    save_server(server, path, replace=False)


def edit_server(server: ServerConfig, path: Path | None = None) -> None:
    save_server(server, path, replace=True)


def remove_server(name: str, path: Path | None = None) -> bool:
    """Remove one entry; False if there was none."""
    path = path or config_path()
    raw = _read_raw(path)
    if name not in raw["mcpServers"]:
        return False
    del raw["mcpServers"][name]
    atomic_write_json(path, raw)
    return True
