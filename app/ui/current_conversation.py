"""The conversation on screen: one owner of its snapshot, so every part reads the same one.

Changes go through here (to the store, then the snapshot is read back), never by keeping a
second copy that could go stale.
"""

from __future__ import annotations

from typing import Any

from app.store.chat_store import ChatStore
from app.store.models import Conversation


class CurrentConversation:
    def __init__(self, store: ChatStore) -> None:
        self.store = store
        self.conversation: Conversation | None = None

    @property
    def id(self) -> int | None:
        return self.conversation.id if self.conversation is not None else None

    def open(self, conversation_id: int) -> Conversation:
        self.conversation = self.store.get_conversation(conversation_id)
        return self.conversation

    def create(self, **fields: Any) -> Conversation:
        self.conversation = self.store.create_conversation(**fields)
        return self.conversation

    def update(self, *, touch: bool = True, **fields: Any) -> Conversation:
        """Write ``fields`` and take the stored result as the snapshot."""
        assert self.conversation is not None
        self.conversation = self.store.update_conversation(self.conversation.id, touch=touch, **fields)
        return self.conversation

    def refresh(self) -> Conversation | None:
        """Read it again (another part of the app, or the store, changed it)."""
        if self.conversation is not None:
            self.conversation = self.store.get_conversation(self.conversation.id)
        return self.conversation
