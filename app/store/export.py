"""Conversations as Markdown (to read or share) and JSON (everything, to process or re-import)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

from app.store.models import Conversation, Message, ToolCard

_TIME_FIELDS = ("created_at", "updated_at", "deleted_at")
_STATUS_LABELS = {
    "streaming": "still being generated",
    "interrupted": "interrupted",
    "cancelled": "stopped",
    "error": "error",
}
_CARD_STATES = {
    "waiting": "waiting for approval",
    "running": "running",
    "done": "done",
    "failed": "failed",
    "denied": "denied by the user",
}
RESULT_CHARS = 4000  # a tool's result in Markdown: enough to read, the JSON export has it whole


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
        if m.tool_cards:
            parts.extend(_with_cards(m.content, m.tool_cards))
        elif m.content:
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
    data["messages"] = [_message_dict(m) for m in messages]
    if all_messages is not None and {m.id for m in all_messages} - {m.id for m in messages}:
        data["branches"] = [_message_dict(m) for m in all_messages]
    return data


def _message_dict(m: Message) -> dict[str, Any]:
    d = _iso_times(asdict(m))
    d["tool_cards"] = [_iso_times(c.to_dict(), ("started", "ended")) for c in m.tool_cards]
    return d


def _with_cards(content: str, cards: Sequence[ToolCard]) -> list[str]:
    """The answer cut where each call came, with the call's block in between."""
    parts: list[str] = []
    at = 0
    for card in sorted(cards, key=lambda c: min(max(c.text_offset, 0), len(content))):
        offset = min(max(card.text_offset, at), len(content))
        if content[at:offset].strip():
            parts.append(content[at:offset].strip())
        parts.append(_card_block(card))
        at = offset
    if content[at:].strip():
        parts.append(content[at:].strip())
    return parts


def _card_block(card: ToolCard) -> str:
    """Tool, server and state on one line, the arguments as JSON, the result folded (capped)."""
    state = _CARD_STATES.get(card.state, card.state)
    head = f"**Tool call:** `{card.name.replace('`', '')}`"
    if card.server:
        head += f" ({' '.join(card.server.split())})"
    head += f" · {state}"
    if card.arguments or not card.raw:
        arguments = json.dumps(card.arguments, indent=2, ensure_ascii=False)
        block = [head, _fenced(arguments, "json")]
    else:  # the call did not parse: what the model wrote
        block = [head, _fenced(card.raw, "")]
    if card.result:
        result = card.result
        if len(result) > RESULT_CHARS:
            result = result[:RESULT_CHARS] + f"\n… ({len(card.result) - RESULT_CHARS} more characters)"
        elif card.truncated:
            result += "\n… (cut by QwenDesk to its size limit)"
        label = "Error" if card.is_error else "Result"
        block.append(f"<details><summary>{label}</summary>\n\n{_fenced(result, 'text')}\n\n</details>")
    return "\n\n".join(block)


def _fenced(text: str, info: str) -> str:
    """A code block no backtick run inside ``text`` can close early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def _iso_times(d: dict[str, Any], keys: Sequence[str] = _TIME_FIELDS) -> dict[str, Any]:
    for key in keys:
        if d.get(key) is not None:
            d[key] = datetime.fromtimestamp(d[key], timezone.utc).isoformat()
    return d


def _local(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.strip().splitlines())
