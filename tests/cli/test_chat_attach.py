"""``qwendesk chat --attach``: real process, real llama.cpp, generated documents and model."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_chat_cli import REPLY, json_lines, qwendesk
from tests.documents.make_docs import (
    QUESTION_EN,
    QUESTION_ZH,
    write_docx,
    write_encrypted_pdf,
    write_fact_pdf,
    write_pdf,
    write_zip_bomb_docx,
)


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("attach")
    write_fact_pdf(d / "report.pdf")
    write_fact_pdf(d / "报告.pdf", chinese=True)
    history = "".join(f"In {1890 + i} the town council met and talked about roads.\n" for i in range(25))
    (d / "notes.txt").write_bytes(f"港口建于1887年。\nThe harbour opened in 1887.\n{history}".encode("gbk"))
    write_docx(d / "annual.docx")
    return d


def sources_then_answer(events: list[dict]) -> dict:
    """The one sources event, checked to come before any reasoning or answer."""
    names = [e["event"] for e in events]
    assert names.count("sources") == 1, names
    first_output = min(i for i, n in enumerate(names) if n in ("reasoning", "answer"))
    assert names.index("sources") < first_output
    assert "".join(e["text"] for e in events if e["event"] == "answer") == REPLY
    assert events[-1]["event"] == "done" and events[-1]["finish_reason"] == "stop"
    return events[names.index("sources")]


@pytest.mark.parametrize(("name", "question"), [("report.pdf", QUESTION_EN), ("报告.pdf", QUESTION_ZH)])
def test_sources_come_first_best_first_with_pages(
    scripted_model: Path, docs: Path, name: str, question: str
) -> None:
    r = qwendesk("chat", "--model", str(scripted_model), "--attach", str(docs / name), "--json", question)
    assert r.returncode == 0, r.stderr
    events = json_lines(r.stdout)
    sources = sources_then_answer(events)
    assert sources["mode"] == "retrieval"
    items = sources["items"]
    assert items[0]["file"] == name and items[0]["page"] == 37
    for item in items:
        assert set(item) >= {"file", "page", "chars", "score"}
        start, end = item["chars"]
        assert isinstance(start, int) and 0 <= start < end
    scores = [item["score"] for item in items]
    assert scores == sorted(scores, reverse=True)
    # The test vocabulary spends a token per byte, and the counts are the model's own: 60 pages are
    # some 200K tokens, beyond even YaRN's 131,072, so no longer context is offered (see
    # test_chat_budget.py for the offer).
    assert not [e for e in events if e["event"] == "notice"]
    # The model saw the passage: more prompt than the question alone.
    assert events[-1]["prompt_tokens"] > 1000


def test_small_documents_go_whole_and_pages_are_null_without_pages(scripted_model: Path, docs: Path) -> None:
    r = qwendesk(
        "chat", "--model", str(scripted_model), "--attach", str(docs / "notes.txt"),
        "--attach", str(docs / "annual.docx"), "--json", "What happened in 1887?",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    sources = sources_then_answer(json_lines(r.stdout))
    assert sources["mode"] == "whole"
    items = sources["items"]
    assert {i["file"] for i in items} == {"notes.txt", "annual.docx"}
    assert all(i["page"] is None for i in items)
    assert items[0]["file"] == "notes.txt" and items[0]["score"] > 0  # the page that matches first
    assert {i["label"] for i in items if i["file"] == "annual.docx"} == {
        "§ Annual Report", "§ Introduction", "§ Finances", "§ Outlook",
    }  # fmt: skip


def test_human_output_lists_the_sources_after_the_answer(scripted_model: Path, docs: Path) -> None:
    r = qwendesk("chat", "--model", str(scripted_model), "--attach", str(docs / "report.pdf"), QUESTION_EN)
    assert r.returncode == 0, r.stderr
    answer, sources = r.stdout.split("\n\nSources:\n")
    assert answer == f"│ The user greets me.\n{REPLY}"
    assert sources.splitlines()[0] == "  [1] report.pdf, p. 37"


def test_follow_ups_reuse_the_index(scripted_model: Path, docs: Path) -> None:
    r = qwendesk(
        "chat", "--model", str(scripted_model), "--attach", str(docs / "notes.txt"), "--json",
        stdin="When did the harbour open?\nAnd the port?\n",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    events = json_lines(r.stdout)
    sources = [e for e in events if e["event"] == "sources"]
    dones = [e for e in events if e["event"] == "done"]
    assert len(sources) == len(dones) == 2
    assert all(s["mode"] == "whole" for s in sources)
    # The document went in with the first question only; the second only adds itself.
    first, second = dones[0]["prompt_tokens"], dones[1]["prompt_tokens"]
    assert first > 1500 and second - first < 300
    assert dones[1]["evaluated_prompt_tokens"] < 300


@pytest.mark.parametrize(
    ("make", "kind", "says"),
    [
        (
            lambda d: write_encrypted_pdf(d / "locked.pdf", user_password="pw"),
            "encrypted",
            "password-protected",
        ),
        (
            lambda d: write_pdf(d / "scan.pdf", [None], image_pages=[1]),
            "no_text_layer",
            "OCR is not supported",
        ),
        (lambda d: write_zip_bomb_docx(d / "bomb.docx", uncompressed=300 * 2**20), "zip_bomb", "zip bomb"),
        (
            lambda d: (d / "png.txt").write_bytes(b"\x89PNG\r\n\x00\x00" * 50) and d / "png.txt",
            "binary",
            "binary",
        ),
        (
            lambda d: (d / "half.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<<") and d / "half.pdf",
            "corrupt",
            "damaged",
        ),
        (lambda d: d / "missing.md", "not_found", "does not exist"),
    ],
)
def test_a_bad_file_is_an_error_naming_it(
    scripted_model: Path, tmp_path: Path, docs: Path, make: object, kind: str, says: str
) -> None:
    bad: Path = make(tmp_path)  # type: ignore[operator]
    r = qwendesk(
        "chat", "--model", str(scripted_model), "--attach", str(docs / "notes.txt"), "--attach", str(bad),
        "--json", "hi",
    )  # fmt: skip
    assert r.returncode == 1
    (event,) = json_lines(r.stdout)
    assert event["event"] == "error" and event["kind"] == kind and event["file"] == bad.name
    assert bad.name in event["message"] and says in event["message"]
    assert "Traceback" not in r.stderr
    human = qwendesk("chat", "--model", str(scripted_model), "--attach", str(bad), "hi")
    assert human.returncode == 1 and human.stdout == ""
    assert human.stderr.startswith("qwendesk: error: ") and bad.name in human.stderr and says in human.stderr
