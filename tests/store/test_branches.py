"""Branches: Edit and Regenerate add versions of a turn; nothing is deleted, any branch can be shown again."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app.store import ChatStore, Message, schema
from app.store.export import to_json

from .conftest import Clock
from .test_export import qwendesk


def ids(messages: list[Message]) -> list[int]:
    return [m.id for m in messages]


def test_regenerate_keeps_both_answers_and_each_keeps_its_later_turns(store: ChatStore) -> None:
    c = store.create_conversation()
    q = store.add_message(c.id, "user", "Name a prime.")
    a1 = store.add_message(c.id, "assistant", "2")
    a2 = store.add_message(c.id, "assistant", "3", parent_id=q.id)  # Regenerate
    assert (a1.parent_id, a2.parent_id, q.parent_id) == (q.id, q.id, None)
    assert ids(store.messages(c.id)) == [q.id, a2.id]  # the newest answer is on screen
    assert store.version_info(c.id) == {q.id: (1, 1), a2.id: (2, 2)}
    q2 = store.add_message(c.id, "user", "Another?")  # continues after the answer on screen
    a3 = store.add_message(c.id, "assistant", "5")
    assert q2.parent_id == a2.id

    assert ids(store.switch_to(a1.id)) == [q.id, a1.id]
    assert ids(store.messages(c.id)) == [q.id, a1.id]
    assert store.version_info(c.id) == {q.id: (1, 1), a1.id: (1, 2)}
    assert ids(store.switch_to(a2.id)) == [q.id, a2.id, q2.id, a3.id]
    assert store.siblings(a1.id) == store.siblings(a2.id) == [a1.id, a2.id]
    assert store.siblings(q2.id) == [q2.id]
    assert ids(store.all_messages(c.id)) == [q.id, a1.id, a2.id, q2.id, a3.id]
    assert [m.position for m in store.all_messages(c.id)] == [0, 1, 2, 3, 4]


def test_edit_adds_a_version_of_the_question_and_the_old_turns_stay_reachable(store: ChatStore) -> None:
    c = store.create_conversation()
    q1 = store.add_message(c.id, "user", "Capital of France?")
    a1 = store.add_message(c.id, "assistant", "Paris.")
    q2 = store.add_message(c.id, "user", "And of Spain?")
    a2 = store.add_message(c.id, "assistant", "Madrid.")
    q2b = store.add_message(c.id, "user", "And of Italy?", parent_id=q2.parent_id)  # Edit
    a2b = store.add_message(c.id, "assistant", "Rome.")
    assert ids(store.messages(c.id)) == [q1.id, a1.id, q2b.id, a2b.id]
    assert store.version_info(c.id) == {q1.id: (1, 1), a1.id: (1, 1), q2b.id: (2, 2), a2b.id: (1, 1)}
    assert ids(store.switch_to(q2.id)) == [q1.id, a1.id, q2.id, a2.id]
    assert store.version_info(c.id)[q2.id] == (1, 2)

    q1b = store.add_message(c.id, "user", "Capital of Peru?", parent_id=None)  # editing the first turn
    assert ids(store.messages(c.id)) == [q1b.id]
    assert store.version_info(c.id) == {q1b.id: (2, 2)}
    assert store.siblings(q1.id) == [q1.id, q1b.id]
    assert ids(store.switch_to(q1.id)) == [q1.id, a1.id, q2b.id, a2b.id]  # the newest under it
    assert len(store.all_messages(c.id)) == 7


def test_switching_back_and_forth_keeps_each_branch_and_picks_the_newest_reply(store: ChatStore) -> None:
    c = store.create_conversation()
    q = store.add_message(c.id, "user", "q")
    tails: dict[int, list[int]] = {}
    for i in range(3):
        answer = store.add_message(c.id, "assistant", f"answer {i}", parent_id=q.id)
        follow = store.add_message(c.id, "user", f"follow-up {i}")
        reply = store.add_message(c.id, "assistant", f"reply {i}")
        tails[answer.id] = [q.id, answer.id, follow.id, reply.id]
    for answer_id in [*tails, *reversed(tails), *tails]:
        assert ids(store.switch_to(answer_id)) == tails[answer_id]
        assert ids(store.messages(c.id)) == tails[answer_id]
    first = next(iter(tails))
    older_follow = tails[first][2]
    newer_follow = store.add_message(c.id, "user", "second follow-up", parent_id=first)
    store.switch_to(older_follow)  # show the older follow-up and its reply
    assert ids(store.switch_to(first)) == [q.id, first, newer_follow.id]  # each step: the newest child
    assert ids(store.switch_to(older_follow)) == tails[first]
    assert ids(store.switch_to(q.id)) == tails[list(tails)[-1]]


def test_version_info_counts_versions_at_every_level(store: ChatStore) -> None:
    c = store.create_conversation()
    roots = [store.add_message(c.id, "user", f"q{i}", parent_id=None) for i in range(3)]
    answers = [store.add_message(c.id, "assistant", f"a{i}", parent_id=roots[1].id) for i in range(4)]
    store.switch_to(answers[2].id)
    assert store.version_info(c.id) == {roots[1].id: (2, 3), answers[2].id: (3, 4)}
    other = store.create_conversation()  # another conversation's first messages are not versions
    store.add_message(other.id, "user", "elsewhere")
    assert store.version_info(c.id)[roots[1].id] == (2, 3)
    assert store.version_info(other.id) == {store.messages(other.id)[0].id: (1, 1)}


def test_switching_does_not_move_the_conversation_in_the_list(store: ChatStore) -> None:
    c = store.create_conversation()
    q = store.add_message(c.id, "user", "q")
    a1 = store.add_message(c.id, "assistant", "a1")
    store.add_message(c.id, "assistant", "a2", parent_id=q.id)
    newer = store.create_conversation()
    before = store.get_conversation(c.id).updated_at
    store.switch_to(a1.id)
    assert store.get_conversation(c.id).updated_at == before
    assert [x.id for x in store.list_conversations()] == [newer.id, c.id]
    added = store.add_message(c.id, "user", "more")  # writing does move it
    assert store.get_conversation(c.id).updated_at == added.created_at
    assert added.parent_id == a1.id


def test_a_parent_must_be_a_message_of_the_conversation(store: ChatStore) -> None:
    c = store.create_conversation()
    other = store.create_conversation()
    foreign = store.add_message(other.id, "user", "not yours")
    mine = store.add_message(c.id, "user", "mine")
    with pytest.raises(KeyError, match=f"no message with id {foreign.id} in conversation {c.id}"):
        store.add_message(c.id, "assistant", "x", parent_id=foreign.id)
    with pytest.raises(KeyError, match="no message with id 999"):
        store.add_message(c.id, "assistant", "x", parent_id=999)
    with pytest.raises(ValueError, match="'parent_id' is set by the store"):
        store.update_message(mine.id, parent_id=None)
    for call in (lambda: store.switch_to(999), lambda: store.siblings(999)):
        with pytest.raises(KeyError, match="no message with id 999"):
            call()
    assert ids(store.all_messages(c.id)) == [mine.id]  # nothing half-written
    assert ids(store.messages(c.id)) == [mine.id]


def test_an_empty_conversation_has_no_branch(store: ChatStore) -> None:
    c = store.create_conversation()
    assert store.messages(c.id) == [] and store.all_messages(c.id) == []
    assert store.version_info(c.id) == {}
    assert store.matching_messages(c.id, "anything") == []
    assert store.delete_messages_from(c.id, 0) == 0
    first = store.add_message(c.id, "user", "hi")
    assert first.parent_id is None and first.position == 0
    for call in (
        lambda: store.all_messages(42),
        lambda: store.version_info(42),
        lambda: store.matching_messages(42, "x"),
    ):
        with pytest.raises(KeyError, match="no conversation with id 42"):
            call()


def test_a_thousand_messages_on_one_branch_read_delete_and_purge(store: ChatStore) -> None:
    store._conn.execute("PRAGMA synchronous = OFF")  # 1,000 fsyncs would only make this test slow
    c = store.create_conversation()
    made = [store.add_message(c.id, ("user", "assistant")[i % 2], f"m{i}") for i in range(1000)]
    side = store.add_message(c.id, "assistant", "other answer", parent_id=made[500].id)
    assert ids(store.switch_to(made[0].id)) == [*ids(made[:501]), side.id]
    assert ids(store.switch_to(made[501].id)) == ids(made)
    info = store.version_info(c.id)
    assert len(info) == 1000 and info[made[501].id] == (1, 2) and info[made[999].id] == (1, 1)
    assert store.delete_messages_from(c.id, made[600].position) == 400
    assert ids(store.messages(c.id)) == ids(made[:600])
    assert store.delete_messages_from(c.id, 0) == 601  # a 600-deep chain and its side branch
    assert store.all_messages(c.id) == []
    long = store.create_conversation()
    for i in range(1100):  # deeper than SQLite's 1,000 levels of trigger recursion
        store.add_message(long.id, "user", f"n{i}")
    store.delete(long.id)
    assert store.purge_deleted() == 1
    assert store._conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0


def test_delete_messages_from_only_touches_the_branch_on_screen(store: ChatStore) -> None:
    c = store.create_conversation()
    q = store.add_message(c.id, "user", "q")
    a1 = store.add_message(c.id, "assistant", "a1")
    q2 = store.add_message(c.id, "user", "q2")
    a2 = store.add_message(c.id, "assistant", "a2", parent_id=q.id)  # later position, other branch
    store.switch_to(a1.id)
    assert ids(store.messages(c.id)) == [q.id, a1.id, q2.id]
    assert store.delete_messages_from(c.id, a1.position) == 2  # a1 and q2, not a2
    assert ids(store.messages(c.id)) == [q.id]
    assert ids(store.all_messages(c.id)) == [q.id, a2.id]
    assert store.siblings(a2.id) == [a2.id]
    a3 = store.add_message(c.id, "assistant", "a3")
    assert a3.parent_id == q.id and a3.position == 4
    assert store.version_info(c.id) == {q.id: (1, 1), a3.id: (2, 2)}


def test_search_hits_jump_to_messages_on_any_branch(store: ChatStore) -> None:
    c = store.create_conversation()
    q = store.add_message(c.id, "user", "Tell me about Qubits")
    hidden = store.add_message(c.id, "assistant", "A qubit is 量子比特.", reasoning="Explain SUPERPOSITION")
    shown = store.add_message(c.id, "assistant", "Bits, but quantum.", parent_id=q.id)
    other = store.create_conversation()
    store.add_message(other.id, "user", "qubits elsewhere")
    assert ids(store.messages(c.id)) == [q.id, shown.id]
    assert store.matching_messages(c.id, "QUBIT") == [q.id, hidden.id]  # FTS (3+ characters)
    assert store.matching_messages(c.id, "superposition") == [hidden.id]  # in the reasoning
    assert store.matching_messages(c.id, "量子") == [hidden.id]  # LIKE (2 characters)
    assert store.matching_messages(c.id, "  ") == []
    assert store.matching_messages(c.id, "50%") == []  # LIKE wildcards are plain characters
    store._fts = False  # a SQLite without the trigram tokenizer
    assert store.matching_messages(c.id, "qubit") == [q.id, hidden.id]
    assert store.matching_messages(c.id, "quantum") == [shown.id]


def test_json_export_keeps_every_branch(store: ChatStore) -> None:
    c = store.create_conversation("Primes")
    q = store.add_message(c.id, "user", "Name a prime.")
    a1 = store.add_message(c.id, "assistant", "2")
    a2 = store.add_message(c.id, "assistant", "3", parent_id=q.id)
    conv = store.get_conversation(c.id)
    data = to_json(conv, store.messages(c.id), store.all_messages(c.id))
    assert [m["id"] for m in data["messages"]] == [q.id, a2.id]
    tree = [(m["id"], m["parent_id"]) for m in data["branches"]]
    assert tree == [(q.id, None), (a1.id, q.id), (a2.id, q.id)]
    store.switch_to(a1.id)
    assert [m["content"] for m in to_json(conv, store.messages(c.id))["messages"]] == ["Name a prime.", "2"]
    linear = store.create_conversation()
    store.add_message(linear.id, "user", "hi")
    data = to_json(linear, store.messages(linear.id), store.all_messages(linear.id))
    assert "branches" not in data and data["messages"][0]["parent_id"] is None


def test_cli_json_export_writes_every_branch(qwendesk_home: Path) -> None:
    with ChatStore.open_default(clock=Clock()) as s:
        c = s.create_conversation("Primes")
        q = s.add_message(c.id, "user", "Name a prime.")
        s.add_message(c.id, "assistant", "2")
        s.add_message(c.id, "assistant", "3", parent_id=q.id)
    out = qwendesk("export", "--conversation", str(c.id), "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [m["content"] for m in data["messages"]] == ["Name a prime.", "3"]
    assert [m["content"] for m in data["branches"]] == ["Name a prime.", "2", "3"]
    md = qwendesk("export", "--conversation", str(c.id))
    assert "3\n" in md.stdout and "\n2\n" not in md.stdout  # Markdown: the branch on screen


def test_purging_a_conversation_takes_every_branch_with_it(store: ChatStore) -> None:
    c = store.create_conversation()
    keep = store.create_conversation()
    kept = store.add_message(keep.id, "user", "stay")
    q = store.add_message(c.id, "user", "q")
    for i in range(3):
        store.add_message(c.id, "assistant", f"a{i}", parent_id=q.id)
        store.add_message(c.id, "user", f"more {i}")
    store.add_message(c.id, "user", "other first", parent_id=None)
    store.delete(c.id)
    assert store.purge_deleted() == 1
    left = store._conn.execute("SELECT id FROM messages").fetchall()
    assert [r[0] for r in left] == [kept.id]
    assert ids(store.messages(keep.id)) == [kept.id]


def _version_6_file(path: Path) -> None:
    """Three conversations as QwenDesk at schema 6 left them; ids interleave across conversations."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        schema.migrate(conn, target=6)
        conn.executemany(
            "INSERT INTO conversations (id, title, created_at, updated_at) VALUES (?, ?, 1.0, 5.0)",
            [(1, "Physics"), (2, "Eggs"), (3, "Empty")],
        )
        rows = [  # (id, conversation, position, role, content)
            (10, 1, 0, "user", "什么是量子计算？"),
            (11, 2, 0, "user", "Boil time?"),
            (12, 1, 1, "assistant", "Qubits."),
            (13, 2, 1, "assistant", "Seven minutes."),
            (9, 1, 2, "user", "And superposition?"),  # a lower id at a later position
            (14, 1, 3, "assistant", "Both at once."),
        ]
        conn.executemany(
            "INSERT INTO messages (id, conversation_id, position, role, content, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, 2.0, 2.0)",
            rows,
        )
    finally:
        conn.close()


def test_a_version_6_file_becomes_one_branch_per_conversation(tmp_path: Path) -> None:
    path = tmp_path / "v6.sqlite3"
    _version_6_file(path)
    with ChatStore(path, clock=Clock()) as store:
        assert schema.user_version(store._conn) == schema.SCHEMA_VERSION >= 7  # migrated to the newest
        parents = dict(store._conn.execute("SELECT id, parent_id FROM messages").fetchall())
        assert parents == {10: None, 12: 10, 9: 12, 14: 9, 11: None, 13: 11}
        leaves = dict(store._conn.execute("SELECT id, leaf_id FROM conversations").fetchall())
        assert leaves == {1: 14, 2: 13, 3: None}
        assert ids(store.messages(1)) == [10, 12, 9, 14]
        assert ids(store.messages(2)) == [11, 13]
        assert store.messages(3) == []
        assert set(store.version_info(1).values()) == {(1, 1)}
        assert store.get_conversation(1).updated_at == 5.0  # the migration moves nothing in the list
        more = store.add_message(1, "user", "More?")
        assert (more.parent_id, more.position) == (14, 4)
        again = store.add_message(1, "assistant", "Again.", parent_id=12)
        assert store.version_info(1)[again.id] == (2, 2)
        assert store.matching_messages(1, "量子计算") == [10]
