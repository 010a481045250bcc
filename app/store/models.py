"""What the chat history store hands out: plain snapshots of rows.

They are frozen so a caller cannot believe it changed the database by setting
an attribute; changes go through :class:`app.store.chat_store.ChatStore`. Timestamps
are unix seconds (``time.time()``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

ROLES = ("user", "assistant")
# "streaming": being generated now (or the app died while it was: see mark_interrupted);
# "interrupted": the app died mid-answer; "cancelled": the user stopped it; "error": the engine failed.
STATUSES = ("complete", "streaming", "interrupted", "cancelled", "error")
SAMPLING_KEYS = ("temperature", "top_p", "top_k", "min_p", "presence_penalty", "seed")


@dataclass(frozen=True, kw_only=True)
class Conversation:
    """One chat and the settings it is generated with."""

    id: int
    title: str
    created_at: float
    updated_at: float
    model: str | None = None
    think: bool = True
    thinking_budget: int | None = None
    system_prompt: str = ""
    # Overrides of Qwen's per-mode presets, keys among SAMPLING_KEYS; absent = preset.
    sampling: dict[str, float | int] = field(default_factory=dict)
    deleted_at: float | None = None  # soft-deleted (undo-able) until purged
    # The remote server (host:port) any of its turns was sent to; None = only ever local.
    remote: str | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True, kw_only=True)
class Message:
    """One turn. Assistant ``content`` is the final answer only; the thinking is in ``reasoning``
    and is never fed back into the history."""

    id: int
    conversation_id: int
    position: int  # 0, 1, 2, … within the conversation, in creation order (across all branches)
    # The previous message on its branch; None for a first message. Messages with the same parent
    # are versions of one turn (an edited question, a regenerated answer).
    parent_id: int | None = None
    role: str
    content: str = ""
    reasoning: str = ""
    status: str = "complete"
    finish_reason: str | None = None  # the engine's: "stop" | "length" | "budget" | "cancelled"
    think: bool = True  # this turn was generated in thinking mode
    thinking_s: float | None = None
    thinking_budget_hit: bool = False
    prompt_tokens: int | None = None
    evaluated_prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    ttft_s: float | None = None
    decode_tokens_per_s: float | None = None
    reasoning_collapsed: bool | None = None  # the UI's expanded/collapsed state; None = its default
    model: str | None = None
    error: str | None = None
    sent_content: str | None = None  # user messages: the text sent with documents; None = content
    remote: str | None = None  # assistant messages: the server (host:port) that wrote it; None = local
    created_at: float
    updated_at: float


@dataclass(frozen=True, kw_only=True)
class Attachment:
    """A file attached to a conversation: what its chip shows. Its text lives in chunks."""

    id: int
    conversation_id: int
    message_id: int | None  # the user message it was sent with; None while pending in the composer
    name: str
    kind: str  # "pdf", "docx", "html", "markdown", "text", "csv", "code"
    size: int  # bytes of the file
    pages: int | None  # pages in the file (PDF); None for formats without pages
    sha256: str
    chars: int  # characters of extracted text
    encoding: str | None = None  # text files: the encoding that was detected
    warnings: tuple[str, ...] = ()  # e.g. pages with no text layer
    created: float
    deleted: float | None = None  # removed by the user (soft: until purge_deleted)


CONVERSATION_FIELDS = tuple(f.name for f in fields(Conversation))
MESSAGE_FIELDS = tuple(f.name for f in fields(Message))
ATTACHMENT_FIELDS = tuple(f.name for f in fields(Attachment))
