"""The window's side of kept readings: settings → the engine, and the files of deleted conversations.

Each stored conversation's turns carry its cache key (``conversation_cache_key``), so the local
engine keeps the conversation's KV cache under it, in memory and on disk; coming back to the
conversation then re-reads only what is new. Here: the "Speed and memory" settings applied to
``engine.keeping`` (at start and when changed), the file of a deleted conversation deleted at
once, and at start-up, on the engine's thread, the files of conversations that no longer exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.backend.engine import KEPT_STATES_DIR
from app.backend.protocol import StateKeeping
from app.chat.turn_request import conversation_cache_key
from app.paths import data_dir
from app.store.chat_store import ChatStore
from app.ui.engine_bridge import EngineBridge
from app.ui.settings import Settings

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from app.ui.chat_controller import ChatController
    from app.ui.speed_dialog import SpeedDialog

GIB, MIB = 1 << 30, 1 << 20


def kept_states_dir() -> str:
    return str(data_dir() / KEPT_STATES_DIR)


def keeping_from(settings: Settings) -> StateKeeping:
    """The settings as the engine takes them: unticked, readings stay in memory only."""
    on_disk = bool(settings.get("kept_states/enabled"))
    disk_gib = int(settings.get("kept_states/disk_gib"))
    return StateKeeping(
        enabled=True,
        directory=kept_states_dir() if on_disk else None,
        ram_bytes=max(0, int(settings.get("kept_states/ram_mib"))) * MIB,
        disk_bytes=disk_gib * GIB if disk_gib > 0 else None,  # 0: automatic
    )


class SpeedControl:
    def __init__(
        self, bridge: EngineBridge, store: ChatStore, settings: Settings, controller: ChatController
    ) -> None:
        self.bridge, self.store, self.settings, self.controller = bridge, store, settings, controller

    def apply(self) -> None:
        """Hand the settings to the engine (its next turn uses them) and to the controller."""
        engine = self.bridge.engine
        keeping = keeping_from(self.settings)
        if engine.keeping.directory and keeping.directory is None:
            engine.prune_states(keep=[])  # no longer kept on disk: what was kept there goes
        engine.keeping = keeping
        self.controller.read_limit_s = float(self.settings.get("documents/read_limit_s"))

    def prune_at_start(self) -> None:
        """Delete the kept files of conversations that are gone, on the engine's thread (before any
        turn made after this call, so no file written this session is touched)."""
        keep = [conversation_cache_key(c.id) for c in self.store.list_conversations()]
        self.bridge.housekeeping(lambda engine: engine.prune_states(keep))

    def forget(self, conversation_id: int) -> None:
        """A conversation was deleted: its kept reading goes now (undo brings the chat back, not it)."""
        self.bridge.engine.forget_state(conversation_cache_key(conversation_id))

    def open_dialog(self, parent: QWidget) -> SpeedDialog:
        from app.ui.speed_dialog import SpeedDialog

        dialog = SpeedDialog(self.settings, self.bridge.engine, parent)
        dialog.accepted.connect(self.apply)
        dialog.open()
        return dialog
