"""``qwendesk chat --attach`` budgets: counted with the model's tokenizer, room scaled to the context.

The scripted test model's vocabulary is byte-level: it spends a token per byte of text, three
and a half times what the built-in estimate assumes for English and three times for Chinese, as
some real tokenizers do for some text. Budgets decided by the estimate then overflow the context.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_chat_cli import REPLY, json_lines, qwendesk
from tests.documents.make_docs import QUESTION_EN, write_fact_pdf


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("budget")
    write_fact_pdf(d / "long.pdf", n_pages=36, fact_page=30)  # ~122K characters
    write_fact_pdf(d / "four.pdf", n_pages=4, fact_page=3)  # ~13.5K characters: ~3.9K estimated tokens
    write_fact_pdf(d / "twelve.pdf", n_pages=12, fact_page=9)  # ~41K characters: ~11.6K estimated
    return d


def answered(events: list[dict]) -> tuple[dict, dict]:
    """(the sources event, the done event) of a turn that answered."""
    names = [e["event"] for e in events]
    assert "error" not in names, events
    assert "".join(e["text"] for e in events if e["event"] == "answer") == REPLY
    (sources,) = [e for e in events if e["event"] == "sources"]
    assert events[-1]["event"] == "done" and events[-1]["finish_reason"] == "stop"
    return sources, events[-1]


def test_a_small_context_still_carries_the_best_passages(scripted_model: Path, pdfs: Path) -> None:
    """Point 7: a fixed 4,096-token answer room took all of --ctx 4096: "the 0 most relevant passages"."""
    r = qwendesk(
        "chat", "--model", str(scripted_model), "--ctx", "4096", "--attach", str(pdfs / "long.pdf"), "--json",
        QUESTION_EN,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    events = json_lines(r.stdout)
    sources, done = answered(events)
    assert sources["mode"] == "retrieval" and sources["items"]
    assert sources["items"][0]["page"] == 30  # the page with the fact
    assert not any("0 most relevant" in e.get("text", "") for e in events)
    assert done["prompt_tokens"] + 1024 <= 4096  # the answer's room, a quarter of the context, is kept


def test_no_room_for_any_passage_is_an_error_not_a_blind_answer(scripted_model: Path, pdfs: Path) -> None:
    system = "Answer in the style of a very long-winded butler. " * 60  # ~3,000 tokens of 4,096
    r = qwendesk(
        "chat", "--model", str(scripted_model), "--ctx", "4096", "--system", system,
        "--attach", str(pdfs / "long.pdf"), "--json", QUESTION_EN,
    )  # fmt: skip
    assert r.returncode == 1
    (event,) = json_lines(r.stdout)  # no answer without the documents
    assert event["event"] == "error" and event["kind"] == "no_room"
    assert "4,096" in event["message"] and "longer context" in event["message"]
    human = qwendesk(
        "chat", "--model", str(scripted_model), "--ctx", "4096", "--system", system,
        "--attach", str(pdfs / "long.pdf"), QUESTION_EN,
    )  # fmt: skip
    assert human.returncode == 1 and human.stdout == ""
    assert human.stderr.startswith("qwendesk: error: The attached documents do not fit")


def test_budgets_are_counted_with_the_models_tokenizer(scripted_model: Path, pdfs: Path) -> None:
    """The estimate says ~3,900 tokens (fits 8,192 whole); the model's tokenizer says ~13,600.

    Before, the whole document went out and the turn failed: "The conversation is 13,… tokens but
    the loaded context holds 8,192". Counted exactly, the turn answers from passages.
    """
    r = qwendesk(
        "chat", "--model", str(scripted_model), "--ctx", "8192", "--attach", str(pdfs / "four.pdf"), "--json",
        QUESTION_EN,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    events = json_lines(r.stdout)
    sources, done = answered(events)
    assert sources["mode"] == "retrieval" and sources["items"][0]["page"] == 3
    assert done["prompt_tokens"] + 2048 <= 8192
    # The longer context offered is sized by the exact count too: ~13.6K tokens need 32,768.
    (notice,) = [e for e in events if e["event"] == "notice"]
    assert notice["code"] == "longer_context" and "--ctx 32768" in notice["text"]


def test_the_longer_context_offered_holds_the_whole_documents(scripted_model: Path, pdfs: Path) -> None:
    """~11.6K tokens by the estimate would have gone whole into 16,384 (and failed); ~41K really:
    passages now, and 65,536 is offered."""
    r = qwendesk(
        "chat", "--model", str(scripted_model), "--attach", str(pdfs / "twelve.pdf"), "--json", QUESTION_EN
    )
    assert r.returncode == 0, r.stderr
    events = json_lines(r.stdout)
    sources, _done = answered(events)
    assert sources["mode"] == "retrieval" and sources["items"][0]["page"] == 9
    (notice,) = [e for e in events if e["event"] == "notice"]
    assert "--ctx 65536" in notice["text"]
