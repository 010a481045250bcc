"""A turn's request: the history as it is sent, the last question's documents, Qwen's sampling.

The history carries answers only, never reasoning (Qwen3's card: thinking is not fed back).
Earlier questions go out as they were sent, with their documents, so the prompt's prefix
matches llama.cpp's KV cache — unless a file was removed since. A stored conversation's turns
carry its cache key, so the local engine keeps the conversation's KV cache under it (in memory and
on disk) and coming back to it later re-reads only what is new.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.backend.protocol import ChatMessage, GenerationRequest, Sampling
from app.chat.tool_turn import stored_steps
from app.documents import LibrarySnapshot
from app.documents.context import carries_whole_documents
from app.documents.engine_turn import DocumentTurn
from app.store.chat_store import ChatStore
from app.store.models import Conversation

# The sampling keys a request takes (a conversation's overrides of Qwen's presets).
SAMPLING_KEYS = ("temperature", "top_p", "top_k", "min_p", "presence_penalty", "seed")
# Answers that went into the history: a stopped or cut-off one keeps what it said.
ANSWERED = ("complete", "cancelled", "interrupted")


def conversation_cache_key(conversation_id: int) -> str:
    """The name the local engine keeps a stored conversation's KV cache under."""
    return f"conversation-{conversation_id}"


def sampling_of(values: Mapping[str, float | int | None]) -> Sampling:
    """The known keys of ``values`` (None: the mode's preset); unknown keys are ignored."""
    return Sampling(**{k: v for k, v in values.items() if k in SAMPLING_KEYS})  # type: ignore[arg-type]


def make_request(
    history: Sequence[ChatMessage],
    *,
    think: bool,
    thinking_budget: int | None,
    sampling: Sampling,
    max_tokens: int | None = None,
    cache_key: str | None = None,
) -> GenerationRequest:
    """One assistant turn after ``history``; a budget only applies when it thinks. ``cache_key``: the
    conversation's (:func:`conversation_cache_key`), never set on a prompt beside it (a title)."""
    return GenerationRequest(
        tuple(history),
        enable_thinking=think,
        thinking_budget=thinking_budget if think else None,
        max_tokens=max_tokens,
        sampling=sampling,
        cache_key=cache_key,
    )


def assemble_turn(
    store: ChatStore, conversation: Conversation, *, think: bool
) -> tuple[GenerationRequest, DocumentTurn | None]:
    """The request for the next answer of ``conversation`` (its branch on screen), and the last
    question's documents (if any) to be joined to it on the engine's thread."""
    conv = conversation
    messages = store.messages(conv.id)
    attachments = store.attachments(conv.id, include_deleted=True)
    as_sent = not any(a.deleted is not None for a in attachments)
    history: list[ChatMessage] = []
    if conv.system_prompt.strip():
        history.append(ChatMessage("system", conv.system_prompt))
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    whole_at = -1  # position of the latest earlier question that carried the whole documents
    for i, m in enumerate(messages):
        if m.role == "user":
            text = m.sent_content if as_sent and m.sent_content and i != last_user else m.content
            if carries_whole_documents(text):
                whole_at = m.position
            history.append(ChatMessage("user", text))
        elif m.tool_cards and m.status in ANSWERED:
            history.extend(stored_steps(m.content, m.tool_cards))  # its calls and results, no reasoning
        elif m.content and m.status in ANSWERED:
            history.append(ChatMessage("assistant", m.content))  # answers only, never reasoning
    documents = None
    live = [a for a in attachments if a.deleted is None and a.message_id is not None]
    if last_user is not None and live:
        question = messages[last_user]
        positions = {m.id: m.position for m in messages}
        newest = max(positions.get(a.message_id or -1, question.position) for a in live)
        documents = DocumentTurn(
            question.id,
            question.content,
            LibrarySnapshot.of(store.documents(conv.id), question.content),
            in_history=as_sent and whole_at >= newest,
        )
    request = make_request(
        history,
        think=think,
        thinking_budget=conv.thinking_budget,
        sampling=sampling_of(conv.sampling),
        cache_key=conversation_cache_key(conv.id),
    )
    return request, documents
