"""The app killed mid-answer: the last checkpoint survives and becomes "interrupted"."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from app.store import ChatStore

ROOT = Path(__file__).resolve().parents[2]

# Streams an answer with checkpoints, then dies without closing anything (no atexit, no finally).
CHILD = r"""
import os, signal, sys
from app.store import ChatStore

store = ChatStore(sys.argv[1])
c = store.create_conversation("Crash test")
store.add_message(c.id, "user", "Tell me about 量子计算.")
a = store.add_message(c.id, "assistant", status="streaming", think=True, model="Qwen3-8B")
for i in range(1, 6):
    store.update_message(a.id, reasoning="thinking " * i, content=f"part {i}", completion_tokens=10 * i)
print(a.id, flush=True)
os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
"""


def test_killed_mid_stream_keeps_the_last_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "chats.sqlite3"
    r = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    if sys.platform != "win32":
        assert r.returncode == -signal.SIGKILL, r.stderr
    message_id = int(r.stdout.strip())
    assert Path(f"{path}-wal").exists()  # it really died with an open WAL, nothing checkpointed

    with ChatStore(path) as store:
        assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        m = store.get_message(message_id)
        assert (m.status, m.content, m.reasoning, m.completion_tokens) == (
            "streaming",
            "part 5",
            "thinking " * 5,
            50,
        )
        assert store.mark_interrupted() == 1
        m = store.get_message(message_id)
        assert m.status == "interrupted" and m.content == "part 5"
        assert [x.role for x in store.messages(m.conversation_id)] == ["user", "assistant"]
        assert [c.id for c in store.search("part 5")] == [m.conversation_id]  # indexed once it ended

    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert (
            conn.execute("SELECT status FROM messages WHERE id = ?", (message_id,)).fetchone()[0]
            == "interrupted"
        )
    finally:
        conn.close()
