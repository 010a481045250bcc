"""File → Export conversation…: the branch on screen as Markdown, or every branch as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFileDialog, QWidget

from app.store.chat_store import ChatStore
from app.store.export import to_json, to_markdown
from app.store.models import Conversation


def ask_export_path(parent: QWidget, conv: Conversation) -> Path | None:
    safe = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in conv.title).strip() or "conversation"
    path, _ = QFileDialog.getSaveFileName(
        parent,
        QCoreApplication.translate("MainWindow", "Export conversation"),
        str(Path.home() / f"{safe}.md"),
        QCoreApplication.translate("MainWindow", "Markdown (*.md);;JSON (*.json)"),
    )
    return Path(path) if path else None


def export_conversation(store: ChatStore, conv: Conversation, path: Path) -> str:
    """Write the file; returns what to say in the status bar."""
    messages = store.messages(conv.id)  # the branch on screen
    if path.suffix.lower() == ".json":
        data = to_json(conv, messages, store.all_messages(conv.id))  # every branch, nothing lost
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    else:
        path.write_text(to_markdown(conv, messages), encoding="utf-8")
    return QCoreApplication.translate("MainWindow", "Exported to {path}").format(path=path)
