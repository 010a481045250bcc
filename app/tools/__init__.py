"""Tools for the model from MCP servers the user configured (``mcp.json``), Qt-free.

``config`` reads and edits the pasteable mcp.json, ``state`` keeps QwenDesk's own per-server flags
(enabled, trusted) and the keyring's headers, ``host.ToolHost`` runs the sessions. Importing this
package starts nothing and loads no MCP code: ``host`` is imported when it is used.
"""

from __future__ import annotations

from app.tools.config import ConfigError, LoadedConfig, ServerConfig, load_config
from app.tools.results import ServerState, ToolInfo, ToolResult

__all__ = [
    "ConfigError",
    "LoadedConfig",
    "ServerConfig",
    "ServerState",
    "ToolInfo",
    "ToolResult",
    "load_config",
]
