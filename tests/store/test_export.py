"""Markdown and JSON export, and ``qwendesk export`` run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import fields
from datetime import datetime
from pathlib import Path

import pytest

from app.store import ChatStore, Conversation, Message
from app.store.export import to_json, to_markdown

from .conftest import Clock


def fill(store: ChatStore) -> dict[str, int]:
    quantum = store.create_conversation(
        "量子计算 intro", model="Qwen3-8B", thinking_budget=256, system_prompt="Answer briefly.\nBe kind."
    )
    store.add_message(quantum.id, "user", "什么是量子计算？")
    store.add_message(
        quantum.id,
        "assistant",
        "It computes with qubits.",
        reasoning="Explain qubits. Do not write </details> raw.",
        finish_reason="stop",
        completion_tokens=42,
    )
    store.add_message(quantum.id, "user", "More?")
    store.add_message(quantum.id, "assistant", "Superpos", status="interrupted")
    eggs = store.create_conversation("Eggs", think=False)
    store.add_message(eggs.id, "user", "Boil time?")
    store.add_message(eggs.id, "assistant", "Abo", status="cancelled", finish_reason="cancelled")
    store.add_message(eggs.id, "assistant", "", status="error", error="the engine crashed (SIGSEGV)")
    trash = store.create_conversation("Trash me")
    store.delete(trash.id)
    return {"quantum": quantum.id, "eggs": eggs.id, "trash": trash.id}


@pytest.fixture
def ids(store: ChatStore) -> dict[str, int]:
    return fill(store)


def test_markdown(store: ChatStore, ids: dict[str, int]) -> None:
    c = store.get_conversation(ids["quantum"])
    md = to_markdown(c, store.messages(c.id))
    assert md.startswith("# 量子计算 intro\n\n*Qwen3-8B · thinking on (budget 256 tokens) · ")
    assert "**System prompt:**\n\n> Answer briefly.\n> Be kind." in md
    assert md.count("## User\n\n") == 2
    assert (
        "## Assistant\n\n<details><summary>Reasoning</summary>\n\n"
        "Explain qubits. Do not write &lt;/details&gt; raw.\n\n</details>\n\nIt computes with qubits." in md
    )
    assert md.index("什么是量子计算？") < md.index("<details>") < md.index("It computes")
    assert "## Assistant (interrupted)\n\nSuperpos\n" in md
    assert md.endswith("\n") and not md.endswith("\n\n")

    e = store.get_conversation(ids["eggs"])
    md = to_markdown(e, store.messages(e.id))
    assert "thinking off" in md and "<details>" not in md
    assert "## Assistant (stopped)\n\nAbo" in md
    assert "## Assistant (error)\n\n> Error: the engine crashed (SIGSEGV)" in md


def test_json_has_every_field(store: ChatStore, ids: dict[str, int]) -> None:
    c = store.get_conversation(ids["quantum"])
    data = to_json(c, store.messages(c.id))
    assert set(data) == {f.name for f in fields(Conversation)} | {"messages"}
    assert data["sampling"] == {} and data["thinking_budget"] == 256 and data["deleted_at"] is None
    assert datetime.fromisoformat(data["created_at"]).timestamp() == pytest.approx(c.created_at)
    assert [m["status"] for m in data["messages"]] == ["complete", "complete", "complete", "interrupted"]
    for m in data["messages"]:
        assert set(m) == {f.name for f in fields(Message)}
        datetime.fromisoformat(m["updated_at"])
    assert data["messages"][1]["reasoning"].startswith("Explain qubits.")
    json.dumps(data)  # serialisable as is


# ------------------------------------------------------------------------- CLI


def qwendesk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


@pytest.fixture
def populated(qwendesk_home: Path) -> dict[str, int]:
    with ChatStore.open_default(clock=Clock()) as s:
        return fill(s)


def test_cli_exports_all_markdown_to_stdout(populated: dict[str, int]) -> None:
    r = qwendesk("export")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    chats = r.stdout.split("\n---\n\n")
    assert [c.splitlines()[0] for c in chats] == ["# Eggs", "# 量子计算 intro"]  # newest first, no trash
    assert "Trash me" not in r.stdout


def test_cli_exports_all_as_a_json_list(populated: dict[str, int]) -> None:
    r = qwendesk("export", "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert [c["id"] for c in data] == [populated["eggs"], populated["quantum"]]
    assert data[1]["messages"][0]["content"] == "什么是量子计算？"


def test_cli_exports_one_conversation_to_a_file(populated: dict[str, int], tmp_path: Path) -> None:
    out = tmp_path / "out" / "chat.json"
    out.parent.mkdir()
    r = qwendesk(
        "export", "--conversation", str(populated["trash"]), "--format", "json", "--output", str(out)
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["title"] == "Trash me" and data["deleted_at"] is not None  # explicit id: even from the trash

    md = tmp_path / "chat.md"
    r = qwendesk("export", "--conversation", str(populated["quantum"]), "--output", str(md))
    assert r.returncode == 0, r.stderr
    assert md.read_text(encoding="utf-8").startswith("# 量子计算 intro\n")


def test_cli_unknown_conversation_is_an_error_without_traceback(populated: dict[str, int]) -> None:
    r = qwendesk("export", "--conversation", "999")
    assert r.returncode == 1
    assert r.stderr == "qwendesk: error: no conversation with id 999\n"
    assert r.stdout == ""


def test_cli_unwritable_output_is_an_error(populated: dict[str, int], tmp_path: Path) -> None:
    r = qwendesk("export", "--output", str(tmp_path / "missing-dir" / "x.md"))
    assert r.returncode == 1
    assert r.stderr.startswith("qwendesk: error: cannot write") and "Traceback" not in r.stderr


def test_cli_with_no_history_yet_exports_nothing_and_creates_nothing(qwendesk_home: Path) -> None:
    r = qwendesk("export", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []
    assert not (qwendesk_home / "chats.sqlite3").exists()
    r = qwendesk("export")
    assert (r.returncode, r.stdout) == (0, "")
