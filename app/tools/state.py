"""QwenDesk's own per-server state, beside mcp.json in ``tools-state.json`` so mcp.json stays pasteable.

Per server: ``enabled`` (default False: a pasted config runs nothing until the user switches it
on), ``trusted`` ("allow without asking", default False) and the fingerprint of the command/args or
URL that trust was given to. When the config changes what would run, trust is dropped on load.

Header values the user types in the app (a bearer token) go to the system keyring, keyed by the
server's URL so a token never follows a changed URL; only the header names are kept on disk.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.paths import data_dir
from app.remote import keys
from app.tools.config import ServerConfig, atomic_write_json

FILE_NAME = "tools-state.json"


@dataclass
class ServerFlags:
    enabled: bool = False
    trusted: bool = False
    fingerprint: str = ""  # of the command/args or URL that trust was given to
    secret_headers: list[str] = field(default_factory=list)  # names only; values in the keyring


class ToolsState:
    """Load with :meth:`load`; every setter saves at once (atomically)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / FILE_NAME
        self.servers: dict[str, ServerFlags] = {}

    @classmethod
    def load(cls, servers: dict[str, ServerConfig] | None = None, path: Path | None = None) -> ToolsState:
        """Read the file (a bad one reads as empty); drop trust whose fingerprint no longer matches."""
        state = cls(path)
        try:
            raw = json.loads(state.path.read_text(encoding="utf-8"))
            entries: dict[str, Any] = raw.get("servers", {}) if isinstance(raw, dict) else {}
        except (OSError, ValueError):
            entries = {}
        for name, e in entries.items() if isinstance(entries, dict) else ():
            if isinstance(e, dict):
                headers = e.get("secret_headers", [])
                state.servers[name] = ServerFlags(
                    enabled=e.get("enabled") is True,
                    trusted=e.get("trusted") is True,
                    fingerprint=str(e.get("fingerprint", "")),
                    secret_headers=[h for h in headers if isinstance(h, str)]
                    if isinstance(headers, list)
                    else [],
                )
        if servers is not None and state.drop_stale_trust(servers):
            state.save()
        return state

    def save(self) -> None:
        data = {"servers": {n: vars(f) for n, f in sorted(self.servers.items())}}
        atomic_write_json(self.path, data)

    def flags(self, name: str) -> ServerFlags:
        return self.servers.get(name, ServerFlags())

    def drop_stale_trust(self, servers: dict[str, ServerConfig]) -> list[str]:
        """Untrust every server whose command/args or URL changed since it was trusted; their names."""
        dropped = []
        for name, f in self.servers.items():
            cfg = servers.get(name)
            if f.trusted and (cfg is None or cfg.fingerprint() != f.fingerprint):
                f.trusted = False
                dropped.append(name)
        return dropped

    def is_enabled(self, name: str) -> bool:
        return self.flags(name).enabled

    def is_trusted(self, server: ServerConfig) -> bool:
        f = self.flags(server.name)
        return f.trusted and f.fingerprint == server.fingerprint()

    def set_enabled(self, name: str, enabled: bool) -> None:
        self.servers.setdefault(name, ServerFlags()).enabled = enabled
        self.save()

    def set_trusted(self, server: ServerConfig, trusted: bool) -> None:
        f = self.servers.setdefault(server.name, ServerFlags())
        f.trusted, f.fingerprint = trusted, server.fingerprint() if trusted else ""
        self.save()

    def forget(self, name: str) -> None:
        """A removed server: its flags go (its keyring entries are the caller's to delete first)."""
        if self.servers.pop(name, None) is not None:
            self.save()

    # Secret headers: values in the keyring, names here.

    def set_secret_header(self, server: ServerConfig, header: str, value: str) -> None:
        """Raises keys.KeyringUnavailableError when no keyring works (the window says so)."""
        keys.set_secret(_account(server, header), value)
        f = self.servers.setdefault(server.name, ServerFlags())
        if header not in f.secret_headers:
            f.secret_headers.append(header)
            self.save()

    def set_bearer_token(self, server: ServerConfig, token: str) -> None:
        self.set_secret_header(server, "Authorization", f"Bearer {token}")

    def delete_secret_header(self, server: ServerConfig, header: str) -> None:
        keys.delete_secret(_account(server, header))
        f = self.flags(server.name)
        if header in f.secret_headers:
            f.secret_headers.remove(header)
            self.save()

    def headers_for(self, server: ServerConfig) -> dict[str, str]:
        """The pasted headers, then the keyring's over them; raises keys.KeyringUnavailableError."""
        out = dict(server.headers)
        for header in self.flags(server.name).secret_headers:
            value = keys.get_secret(_account(server, header))
            if value is not None:
                out[header] = value
        return out


def _account(server: ServerConfig, header: str) -> str:
    return f"mcp-header:{server.url}:{header}"
