"""``qwendesk export``: the chat history as Markdown or JSON, to stdout or a file.

Without ``--conversation`` every conversation that is not deleted is exported,
newest first (Markdown: separated by ``---``; JSON: a list). An explicit id is
exported even if it is in the trash.
"""

from __future__ import annotations

import argparse
import io
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

from app.paths import data_dir
from app.store.chat_store import DB_FILE, ChatStore
from app.store.export import to_json, to_markdown
from app.store.models import Conversation, Message
from app.store.schema import SchemaTooNewError

EXIT_ERROR = 1


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "export",
        help="export the chat history",
        description="Export conversations as Markdown or JSON (default: all that are not deleted).",
    )
    p.add_argument("--conversation", type=int, metavar="ID", help="export only this conversation")
    p.add_argument("--format", choices=["md", "json"], default="md", help="md (default) or json")
    p.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(run=run)


def _error(message: str) -> int:
    sys.stderr.write(f"qwendesk: error: {message}\n")
    return EXIT_ERROR


# A conversation, its branch on screen, and (JSON only) the messages of every branch.
Chat = tuple[Conversation, list[Message], list[Message] | None]


def _load(conversation_id: int | None, every_branch: bool) -> list[Chat]:
    path = data_dir() / DB_FILE
    if not path.exists():  # nothing to export; do not create an empty history on the way
        if conversation_id is not None:
            raise KeyError(f"no conversation with id {conversation_id}")
        return []
    with ChatStore(path) as store:
        if conversation_id is not None:
            conversations = [store.get_conversation(conversation_id)]
        else:
            conversations = store.list_conversations()
        return [
            (c, store.messages(c.id), store.all_messages(c.id) if every_branch else None)
            for c in conversations
        ]


def _render(chats: list[Chat], fmt: str, single: bool) -> str:
    if fmt == "json":  # everything, to process or re-import: every branch
        data = [to_json(c, ms, every) for c, ms, every in chats]
        return json.dumps(data[0] if single else data, ensure_ascii=False, indent=2) + "\n"
    return "\n---\n\n".join(to_markdown(c, ms) for c, ms, _ in chats)  # to read: the branch on screen


def run(args: argparse.Namespace) -> int:
    try:
        chats = _load(args.conversation, every_branch=args.format == "json")
    except KeyError as exc:
        return _error(str(exc.args[0]))
    except (sqlite3.Error, SchemaTooNewError, OSError) as exc:
        return _error(f"cannot read the chat history: {exc}")
    text = _render(chats, args.format, single=args.conversation is not None)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            return _error(f"cannot write {args.output}: {exc.strerror or exc}")
        return 0
    if isinstance(sys.stdout, io.TextIOWrapper):  # Chinese text in a cp1252 pipe on Windows
        sys.stdout.reconfigure(encoding="utf-8")
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0
