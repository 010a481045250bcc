"""``qwendesk chat`` and long prompts: reading progress, the kept KV state between runs, --read-whole."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from app.backend.engine import KEPT_STATES_DIR
from app.backend.protocol import Answer, PromptProgress
from app.cli.chat_output import Output, ReadingLine
from tests.cli.test_chat_cli import json_lines, qwendesk

LONG = "The tide comes in over the sand and the moon pulls the sea back out again. " * 30


def test_json_progress_lines_come_in_order_before_the_answer(scripted_model: Path) -> None:
    r = qwendesk(
        "chat", "--model", str(scripted_model), "--ctx", "8192", "--json", "--no-think", LONG + "Why?"
    )
    assert r.returncode == 0, r.stderr
    events = json_lines(r.stdout)
    progress = [e for e in events if e["event"] == "progress"]
    names = [e["event"] for e in events]
    assert progress and all(e["stage"] == "prompt" for e in progress)
    assert names.index("answer") > max(i for i, n in enumerate(names) if n == "progress")
    assert [e["done"] for e in progress] == sorted(e["done"] for e in progress)
    assert progress[0]["done"] == 0 and progress[-1]["done"] == progress[-1]["total"]
    assert progress[-1]["total"] == events[-1]["evaluated_prompt_tokens"]
    assert "Reading" not in r.stderr  # JSON mode: progress goes to stdout only


def test_the_reading_line_on_a_terminal_and_in_a_log() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    line = ReadingLine(tty)
    line.AFTER_S = 0.0
    line.show(PromptProgress(0, 12_288), "conversation")
    line.show(PromptProgress(3_072, 12_288), "conversation")
    line.end()
    assert tty.getvalue() == "\rReading the conversation… 3,072 / 12,288 tokens\x1b[K\r\x1b[K"
    log = io.StringIO()
    out = Output(False, io.StringIO(), log)
    out.reading.AFTER_S = 0.0
    out.reading_what = "document"
    for ev in (
        PromptProgress(0, 1_024),
        PromptProgress(512, 1_024),
        PromptProgress(1_024, 1_024),
        Answer("x"),
    ):
        out.event(ev)
    assert (
        log.getvalue() == "Reading the document… 512 / 1,024 tokens\n"
    )  # one line per batch, none at 0 or the end


def test_a_short_read_shows_nothing() -> None:
    err = io.StringIO()
    line = ReadingLine(err)  # the default: only after about a second of reading
    line.show(PromptProgress(0, 4_096), "conversation")
    line.show(PromptProgress(512, 4_096), "conversation")
    assert err.getvalue() == ""


def test_a_second_run_with_the_same_beginning_reads_only_what_is_new(
    scripted_model: Path, qwendesk_home: Path
) -> None:
    base = ("chat", "--model", str(scripted_model), "--ctx", "8192", "--json", "--no-think", "--system", LONG)
    first = json_lines(qwendesk(*base, "first question").stdout)[-1]
    assert first["restored_tokens"] == 0
    assert list((qwendesk_home / KEPT_STATES_DIR).glob("p-*.qkv"))  # written before the process ended
    second = json_lines(qwendesk(*base, "second question").stdout)[-1]
    assert second["restored_from"] == "disk" and second["restored_tokens"] > 1000
    assert second["evaluated_prompt_tokens"] < 50


def test_no_kept_state_writes_nothing(scripted_model: Path, qwendesk_home: Path) -> None:
    r = qwendesk("chat", "--model", str(scripted_model), "--json", "--no-kept-state", "--system", LONG, "hi")
    assert r.returncode == 0, r.stderr
    kept = qwendesk_home / KEPT_STATES_DIR
    assert not kept.exists() or not list(kept.iterdir())


@pytest.fixture
def long_notes(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("".join(f"In {1800 + i} the harbour council met about the pier.\n" for i in range(500)))
    return path


def test_a_document_slower_to_read_than_the_limit_goes_by_passages_unless_asked(
    scripted_model: Path, long_notes: Path
) -> None:
    ask = ("chat", "--model", str(scripted_model), "--ctx", "40960", "--json", "--attach", str(long_notes))
    slow = json_lines(qwendesk(*ask, "--read-limit", "0", "When did the council meet?").stdout)
    notices = [e for e in slow if e["event"] == "notice"]
    assert [n["code"] for n in notices] == ["read_whole"] and "--read-whole" in notices[0]["text"]
    assert next(e for e in slow if e["event"] == "sources")["mode"] == "retrieval"
    whole = json_lines(
        qwendesk(*ask, "--read-limit", "0", "--read-whole", "When did the council meet?").stdout
    )
    assert next(e for e in whole if e["event"] == "sources")["mode"] == "whole"
    assert not [e for e in whole if e["event"] == "notice"]
    default = json_lines(qwendesk(*ask, "When did the council meet?").stdout)  # fast here: read whole
    assert next(e for e in default if e["event"] == "sources")["mode"] == "whole"
