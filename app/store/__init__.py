"""The chat history: a crash-safe SQLite store of conversations and messages, and export.

Headless (no Qt): the GUI, the CLI and tests use it alike.
"""

from __future__ import annotations

from app.store.attachment_store import ConversationDocuments
from app.store.chat_store import ChatStore
from app.store.models import ROLES, SAMPLING_KEYS, STATUSES, Attachment, Conversation, Message
from app.store.schema import SCHEMA_VERSION, SchemaTooNewError

__all__ = [
    "ROLES",
    "SAMPLING_KEYS",
    "SCHEMA_VERSION",
    "STATUSES",
    "Attachment",
    "ChatStore",
    "Conversation",
    "ConversationDocuments",
    "Message",
    "SchemaTooNewError",
]
