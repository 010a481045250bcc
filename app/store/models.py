"""What the chat history store hands out: plain snapshots of rows.

They are frozen so a caller cannot believe it changed the database by setting
an attribute; changes go through :class:`app.store.chat_store.ChatStore`. Timestamps
are unix seconds (``time.time()``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

ROLES = ("user", "assistant")
# "streaming": being generated now (or the app died while it was: see mark_interrupted);
# "interrupted": the app died mid-answer; "cancelled": the user stopped it; "error": the engine failed.
STATUSES = ("complete", "streaming", "interrupted", "cancelled", "error")
SAMPLING_KEYS = ("temperature", "top_p", "top_k", "min_p", "presence_penalty", "seed")
# A tool call's card: waiting for the user's approval, running, done, failed (the tool's error, a call
# that could not be run, or one cut off), denied by the user.
TOOL_STATES = ("waiting", "running", "done", "failed", "denied")


@dataclass(frozen=True)
class ToolCard:
    """One tool call inside an answer, as its card shows it and the history keeps it.

    ``text_offset`` is where in the answer's text (``Message.content``) the call came, so the card
    sits between the text before and after it; ``round`` is which generation of the turn asked for
    it (calls of one round were sent back together). Everything here is data from the model or a
    tool: it is shown and exported as text, never interpreted.
    """

    id: str
    server: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    raw: str = ""  # the call as the model wrote it (what a card shows when it did not parse)
    state: str = "waiting"
    result: str = ""
    is_error: bool = False
    truncated: bool = False  # the host cut the result to its size cap
    started: float | None = None
    ended: float | None = None
    text_offset: int = 0
    round: int = 0
    exposed_name: str = ""  # the name the model called it by (to send the call back in later turns)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ToolCard:
        """A checked card; keys it does not know are ignored (a later version may add some)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"a tool card must be a mapping, not {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        return check_tool_card(cls(**{k: v for k, v in data.items() if k in known}))


def check_tool_card(card: ToolCard) -> ToolCard:
    """Raise ValueError/TypeError unless ``card`` would round-trip through the store's JSON."""
    for name in ("id", "server", "name", "raw", "result", "exposed_name"):
        if not isinstance(getattr(card, name), str):
            raise TypeError(f"tool card {name} must be a str, not {type(getattr(card, name)).__name__}")
    if card.state not in TOOL_STATES:
        known = ", ".join(TOOL_STATES)
        raise ValueError(f"unknown tool card state {card.state!r} (expected one of: {known})")
    if not isinstance(card.arguments, dict):
        raise TypeError(f"tool card arguments must be a dict, not {type(card.arguments).__name__}")
    try:
        json.dumps(card.arguments, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"tool card arguments are not JSON: {exc}") from None
    for name in ("is_error", "truncated"):
        if not isinstance(getattr(card, name), bool):
            raise TypeError(f"tool card {name} must be a bool")
    for name in ("started", "ended"):
        value = getattr(card, name)
        ok = value is None or (
            isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        )
        if not ok:
            raise ValueError(f"tool card {name} must be a finite number or None, not {value!r}")
    for name in ("text_offset", "round"):
        value = getattr(card, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"tool card {name} must be an int ≥ 0, not {value!r}")
    return card


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
    tool_rounds: int | None = None  # rounds of tool calls one answer may use; None = the default (8)
    allowed_tools: tuple[str, ...] = ()  # tools the user chose "Always allow" for in this conversation

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
    # Assistant messages: the tool calls of the turn, in order; the answer's text stays in ``content``.
    tool_cards: tuple[ToolCard, ...] = ()
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
