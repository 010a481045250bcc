"""The window's side of tool calls: which tools a turn gets, and asking the user before each call.

The MCP host and its state are given by the window (``attach``); with none, or no server ready,
turns have no tools and nothing changes. A call waits for the user's answer in a dialog that does
not block the window; Stop answers Deny. "Always allow this tool" is kept with the conversation;
a server the user marked trusted runs its tools without asking.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from app.backend.protocol import ToolCallRequest
from app.chat.tool_events import ToolHostLike, ToolInfoLike
from app.chat.tool_turn import DEFAULT_ROUNDS
from app.ui.engine_bridge import EngineBridge
from app.ui.tool_approval import ToolApprovalDialog
from app.ui.tool_consent import ConsentRequest, ToolTurnOptions

if TYPE_CHECKING:
    from app.tools.config import ServerConfig
    from app.tools.state import ToolsState


class ConversationTools(QObject):
    def __init__(self, bridge: EngineBridge, controller: Any) -> None:
        super().__init__()
        self.controller = controller  # the ChatController: its turn and conversation
        self.host: ToolHostLike | None = None
        self.state: ToolsState | None = None
        self.configs: Callable[[], Mapping[str, ServerConfig]] = dict
        self.dialog: ToolApprovalDialog | None = None
        bridge.tool_card.connect(controller.on_tool_card)
        bridge.consent_requested.connect(self._ask)
        bridge.tool_always_allowed.connect(self._remember)

    def attach(
        self,
        host: ToolHostLike | None,
        state: ToolsState | None = None,
        configs: Callable[[], Mapping[str, ServerConfig]] = dict,
    ) -> None:
        self.host, self.state, self.configs = host, state, configs

    def options(self, conversation_id: int) -> ToolTurnOptions | None:
        """What this conversation's next turn may call (None: no tools at all)."""
        if self.host is None or not self.host.tools():
            return None
        conv = self.controller.store.get_conversation(conversation_id)
        return ToolTurnOptions(
            self.host,
            max_rounds=conv.tool_rounds or DEFAULT_ROUNDS,
            always_allowed=frozenset(conv.allowed_tools),
            auto_allow=self._trusted,
        )

    def _trusted(self, _call: ToolCallRequest, info: ToolInfoLike | None) -> bool:
        if info is None or self.state is None:
            return False
        config = self.configs().get(info.server)
        return config is not None and self.state.is_trusted(config)

    def _remember(self, tool: str) -> None:
        """ "Always allow" is kept with the conversation (its later turns, and after a restart)."""
        conv = self.controller.conversation
        if conv is not None:
            self.controller.current.update(allowed_tools=(*conv.allowed_tools, tool), touch=False)

    def _ask(self, request: ConsentRequest) -> None:
        """Show the call and wait for the user (the engine's thread waits, the window does not)."""
        if not self.controller.answering:
            request.answer("deny")
            return
        info = request.info
        parent = self.controller.view.window() if isinstance(self.controller.view, QWidget) else None
        dialog = ToolApprovalDialog(
            info.name if info is not None else request.call.name,
            request.server or "?",
            request.call.arguments,
            description=str(getattr(info, "description", "") or ""),
            raw=request.call.raw,
            parent=parent,
        )
        dialog.finished.connect(lambda _result: self._answered(request, dialog))
        self.dialog = dialog
        dialog.open()

    def _answered(self, request: ConsentRequest, dialog: ToolApprovalDialog) -> None:
        request.answer(dialog.decision)
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def close_question(self) -> None:
        """Stop pressed: a question still open is answered Deny."""
        if self.dialog is not None:
            self.dialog.reject()
