"""The window's MCP servers: started at launch only if the user enabled them, stopped on close.

The MCP SDK (and its HTTP stack) is imported only when there is an mcp.json with an enabled server,
or when the user opens Tools…: a window without tools starts as fast as before and opens no
connection of any kind (app.privacy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.tools.config import LoadedConfig, ServerConfig, config_path, load_config

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog, QWidget

    from app.tools.host import ToolHost
    from app.tools.state import ToolsState
    from app.ui.conversation_tools import ConversationTools


class WindowTools:
    """One ToolHost for the window, made when first needed."""

    def __init__(self) -> None:
        self.host: ToolHost | None = None
        self.state: ToolsState | None = None
        self.loaded = LoadedConfig()

    def servers(self) -> dict[str, ServerConfig]:
        return dict(self.loaded.servers)

    def start_enabled(self) -> ToolHost | None:
        """At launch: the servers the user enabled (none: no host, nothing imported)."""
        if not config_path().is_file():
            return None
        from app.tools.state import ToolsState

        self.loaded = load_config()
        state = ToolsState.load(self.loaded.servers)
        enabled = [name for name in self.loaded.servers if state.is_enabled(name)]
        if not enabled:
            return None
        host = self.ensure_host(state)
        for name in enabled:
            host.start(name)  # no wait: the window shows its state as it comes
        return host

    def ensure_host(self, state: ToolsState | None = None) -> ToolHost:
        """The host (made now if need be), for the Tools dialog or the first enabled server."""
        if self.host is None:
            from app.tools.host import ToolHost
            from app.tools.state import ToolsState

            if not self.loaded.servers and config_path().is_file():
                self.loaded = load_config()
            self.state = state or ToolsState.load(self.loaded.servers)
            self.host = ToolHost(self.loaded.servers, state=self.state)
        return self.host

    def attach(self, tools: ConversationTools) -> None:
        """Turns get this host's tools (none while there is no host)."""
        tools.attach(self.host, self.state, self.servers)

    def open_dialog(self, parent: QWidget, tools: ConversationTools) -> QDialog:
        """The Tools dialog; what it changes reaches the next turn."""
        from app.ui.tools_dialog import ToolsDialog  # the MCP SDK loads when tools are asked for

        host = self.ensure_host()
        self.attach(tools)
        assert self.state is not None
        dialog = ToolsDialog(host, self.state, parent)

        def reload(_result: int) -> None:
            self.loaded = load_config()  # edits made in the dialog
            self.attach(tools)

        dialog.finished.connect(reload)
        dialog.open()
        return dialog

    def close(self) -> None:
        if self.host is not None:
            self.host.close(timeout_s=5.0)
