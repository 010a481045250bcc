"""A row going in and out of the chat history: field checks before a write, conversions after a read.

Kept apart from :class:`app.store.chat_store.ChatStore`, which runs the queries, so each has one job:
what a field may hold (names, types, JSON shapes) is decided here, in one place.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
from collections.abc import Mapping
from typing import Any

from app.store.models import (
    CONVERSATION_FIELDS,
    MESSAGE_FIELDS,
    SAMPLING_KEYS,
    STATUSES,
    Conversation,
    Message,
    ToolCard,
    check_tool_card,
)

log = logging.getLogger("qwendesk.store")

_SET_BY_STORE = {
    "id",
    "conversation_id",
    "position",
    "parent_id",
    "role",
    "created_at",
    "updated_at",
    "deleted_at",
}
_CONVERSATION_EDITABLE = frozenset(CONVERSATION_FIELDS) - _SET_BY_STORE
_MESSAGE_EDITABLE = frozenset(MESSAGE_FIELDS) - _SET_BY_STORE


def fts_phrase(query: str) -> str:
    """One FTS phrase: a plain substring, no FTS syntax."""
    return '"' + query.replace('"', '""') + '"'


def like_pattern(query: str) -> str:
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def no_conversation(conversation_id: int) -> KeyError:
    return KeyError(f"no conversation with id {conversation_id}")


def _check_names(
    kind: str, fields: Mapping[str, Any], editable: frozenset[str], known: tuple[str, ...]
) -> None:
    for name in fields:
        if name not in editable:
            why = "is set by the store" if name in known else "is not a field"
            raise ValueError(f"{kind} field {name!r} {why} (editable: {', '.join(sorted(editable))})")


def _check_text(fields: Mapping[str, Any], *names: str) -> None:
    for name in names:
        if name in fields and not isinstance(fields[name], str):
            raise TypeError(f"{name} must be a str, not {type(fields[name]).__name__}")


def conversation_values(fields: Mapping[str, Any]) -> dict[str, Any]:
    _check_names("conversation", fields, _CONVERSATION_EDITABLE, CONVERSATION_FIELDS)
    _check_text(fields, "title", "system_prompt")
    values = dict(fields)
    if "think" in values:
        values["think"] = bool(values["think"])
    if "sampling" in values:
        values["sampling"] = _sampling_json(values["sampling"])
    if "allowed_tools" in values:
        tools = values["allowed_tools"]
        if isinstance(tools, str) or not all(isinstance(t, str) for t in tools):
            raise TypeError("allowed_tools must be a sequence of tool names")
        values["allowed_tools"] = json.dumps(sorted(set(tools)))
    if values.get("tool_rounds") is not None:
        rounds = values["tool_rounds"]
        if isinstance(rounds, bool) or not isinstance(rounds, int) or not 1 <= rounds <= 64:
            raise ValueError(f"tool_rounds must be a whole number from 1 to 64, not {rounds!r}")
    return values


def _sampling_json(sampling: Mapping[str, Any] | None) -> str:
    """Only known keys with finite numbers; ``None`` values mean "the preset" and are dropped."""
    clean: dict[str, float | int] = {}
    for key, value in (sampling or {}).items():
        if key not in SAMPLING_KEYS:
            raise ValueError(f"unknown sampling key {key!r} (known: {', '.join(SAMPLING_KEYS)})")
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"sampling {key} must be a finite number, not {value!r}")
        clean[key] = value
    return json.dumps(clean, sort_keys=True)


def message_values(fields: Mapping[str, Any]) -> dict[str, Any]:
    _check_names("message", fields, _MESSAGE_EDITABLE, MESSAGE_FIELDS)
    _check_text(fields, "content", "reasoning")
    if "status" in fields and fields["status"] not in STATUSES:
        raise ValueError(f"unknown status {fields['status']!r} (expected one of: {', '.join(STATUSES)})")
    values = dict(fields)
    if "tool_cards" in values:
        values["tool_cards"] = tool_cards_json(values["tool_cards"])
    return values


def tool_cards_json(cards: Any) -> str | None:
    """ToolCards (or their dicts) as a JSON list, checked; none is NULL."""
    if cards is None:
        return None
    if isinstance(cards, (str, bytes, Mapping)):
        raise TypeError(f"tool_cards must be a sequence of ToolCard, not {type(cards).__name__}")
    checked = [check_tool_card(c) if isinstance(c, ToolCard) else ToolCard.from_dict(c) for c in cards]
    if not checked:
        return None
    return json.dumps([c.to_dict() for c in checked], ensure_ascii=False, allow_nan=False)


def tool_cards_from_json(text: str | None, message_id: int) -> tuple[ToolCard, ...]:
    """The cards of a row; a damaged list is logged and shown as none, the answer still opens."""
    if text is None:
        return ()
    try:
        data = json.loads(text)
        if not isinstance(data, list):
            raise TypeError("not a list")
        return tuple(ToolCard.from_dict(d) for d in data)
    except (ValueError, TypeError) as exc:
        log.warning("message %s: unreadable tool cards (%s); shown without them", message_id, exc)
        return ()


def conversation_from_row(row: sqlite3.Row) -> Conversation:
    d = dict(zip(row.keys(), row))
    d["think"] = bool(d["think"])
    d["sampling"] = json.loads(d["sampling"])
    d["allowed_tools"] = tuple(json.loads(d["allowed_tools"] or "[]"))
    return Conversation(**d)


def message_from_row(row: sqlite3.Row) -> Message:
    d = dict(zip(row.keys(), row))
    d["think"] = bool(d["think"])
    d["thinking_budget_hit"] = bool(d["thinking_budget_hit"])
    if d["reasoning_collapsed"] is not None:
        d["reasoning_collapsed"] = bool(d["reasoning_collapsed"])
    d["tool_cards"] = tool_cards_from_json(d["tool_cards"], d["id"])
    return Message(**d)
