"""Conversations as Markdown (to read or share) and JSON (everything, to process or re-import)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

from app.store.models import Conversation, Message

_TIME_FIELDS = ("created_at", "updated_at", "deleted_at")
_STATUS_LABELS = {
    "streaming": "still being generated",
    "interrupted": "interrupted",
    "cancelled": "stopped",
    "error": "error",
}


def to_markdown(conversation: Conversation, messages: Sequence[Message]) -> str:
    """Title, settings, then each turn under its role; reasoning folded away in ``<details>``."""
    title = " ".join(conversation.title.split()) or "Untitled"
    think = "thinking on" if conversation.think else "thinking off"
    if conversation.think and conversation.thinking_budget is not None:
        think += f" (budget {conversation.thinking_budget} tokens)"
    remote = f"sent to {conversation.remote} (remote server)" if conversation.remote else None
    facts = [conversation.model, remote, think, _local(conversation.created_at)]
    parts = [f"# {title}", "*" + " · ".join(f for f in facts if f) + "*"]
    if conversation.system_prompt:
        parts.append("**System prompt:**\n\n" + _quote(conversation.system_prompt))
    for m in messages:
        heading = f"## {m.role.capitalize()}"
        if m.status in _STATUS_LABELS:
            heading += f" ({_STATUS_LABELS[m.status]})"
        parts.append(heading)
        if m.reasoning:
            # A literal closing tag in the reasoning would end the block early.
            reasoning = m.reasoning.strip().replace("</details>", "&lt;/details&gt;")
            parts.append(f"<details><summary>Reasoning</summary>\n\n{reasoning}\n\n</details>")
        if m.content:
            parts.append(m.content.strip())
        if m.status == "error" and m.error:
            parts.append(_quote(f"Error: {m.error}"))
    return "\n\n".join(parts) + "\n"


def to_json(
    conversation: Conversation,
    messages: Sequence[Message],
    all_messages: Sequence[Message] | None = None,
) -> dict[str, Any]:
    """Every field of the conversation, with its ``messages`` (the branch on screen); timestamps as
    ISO 8601 in UTC. Given ``all_messages`` with more than that branch, ``branches`` lists every
    message (each with its ``parent_id``), so the versions not on screen are not lost."""
    data = _iso_times(asdict(conversation))
    data["messages"] = [_iso_times(asdict(m)) for m in messages]
    if all_messages is not None and {m.id for m in all_messages} - {m.id for m in messages}:
        data["branches"] = [_iso_times(asdict(m)) for m in all_messages]
    return data


def _iso_times(d: dict[str, Any]) -> dict[str, Any]:
    for key in _TIME_FIELDS:
        if d.get(key) is not None:
            d[key] = datetime.fromtimestamp(d[key], timezone.utc).isoformat()
    return d


def _local(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.strip().splitlines())
