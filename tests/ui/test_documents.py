"""Document Q&A in the window: attach (button, drop), chips, sources, persistence, errors, YaRN offer."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QUrl
from pytestqt.qtbot import QtBot

from app.documents.context import WHOLE_HEAD
from app.ui.main_window import MainWindow
from app.ui.sources_view import PassageDialog
from tests.documents.make_docs import QUESTION_EN, write_encrypted_pdf, write_fact_pdf, write_pdf
from tests.remote.fake_openai import FakeOpenAI
from tests.ui.conftest import open_window, send


def attach(qtbot: QtBot, window: MainWindow, *paths: Path) -> None:
    window.controller.attach_files([str(p) for p in paths])
    qtbot.waitUntil(lambda: not window.controller.preparer.busy, timeout=20_000)


@pytest.fixture
def small_pdf(tmp_path: Path) -> Path:
    return write_pdf(
        tmp_path / "minutes.pdf",
        [["Meeting minutes, first page."], ["The budget for 2027 is 40,000 euros."], ["Next meeting: May."]],
    )


def load(qtbot: QtBot, scripted_model: Path, n_ctx: int) -> MainWindow:
    """The window with the scripted model: its byte-level vocabulary spends a token per byte, 3.5
    times the built-in estimate, so only budgets counted with the model's tokenizer fit."""
    window = open_window(qtbot, None)
    window.controller.load_model(str(scripted_model), n_ctx=n_ctx)
    qtbot.waitUntil(lambda: window.bridge.model_path is not None and not window.bridge.busy, timeout=30_000)
    return window


@pytest.fixture
def doc_window(qtbot: QtBot, scripted_model: Path) -> MainWindow:
    return load(qtbot, scripted_model, 8192)


def test_attached_pdf_is_a_chip_answers_show_sources_and_both_survive_a_restart(
    qtbot: QtBot, doc_window: MainWindow, small_pdf: Path, scripted_model: Path
) -> None:
    window = doc_window
    attach(qtbot, window, small_pdf)
    [chip] = window.composer.pending.chips
    assert chip.label.text().startswith("PDF  minutes.pdf · 3 pages · ")
    send(qtbot, window, "What is the budget for 2027?")

    user, answer = window.view.widgets[-2:]
    assert [c.attachment.name for c in user.chips.chips] == ["minutes.pdf"]
    assert window.composer.pending.chips == [] and not window.composer.pending.isVisible()
    assert answer.answer.toPlainText().strip() == "Hello! How can I help?"
    sources = answer.sources
    assert sources.isVisible()
    assert sources.sources[0].page == 2  # the page that answers the question comes first
    assert "[2] minutes.pdf, p. 2" in sources.text()
    sources.linkActivated.emit("source:0")
    assert isinstance(sources.dialog, PassageDialog)
    assert "40,000 euros" in sources.dialog.text.toPlainText()
    sources.dialog.close()
    stored = window.store.get_message(user.message.id)
    assert stored.content == "What is the budget for 2027?" and stored.sent_content.startswith(WHOLE_HEAD)

    # A follow-up reuses what was sent: the documents are not sent again.
    send(qtbot, window, "And the next meeting?")
    follow = window.store.get_message(window.view.widgets[-2].message.id)
    assert not follow.sent_content.startswith(WHOLE_HEAD) and "attached documents" in follow.sent_content
    assert window.view.widgets[-1].sources.sources[0].page == 3

    cid = window.controller.conversation.id
    window.close()
    again = open_window(qtbot, None)
    again.open_conversation(cid)
    user, answer = again.view.widgets[0], again.view.widgets[1]
    assert [c.attachment.name for c in user.chips.chips] == ["minutes.pdf"]
    assert answer.sources.sources[0].page == 2
    again.close()


def test_a_file_dropped_on_the_composer_is_attached_not_pasted(
    qtbot: QtBot, doc_window: MainWindow, small_pdf: Path
) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(small_pdf))])
    assert doc_window.composer.input.canInsertFromMimeData(mime)
    doc_window.composer.input.insertFromMimeData(mime)
    qtbot.waitUntil(lambda: not doc_window.controller.preparer.busy, timeout=20_000)
    assert doc_window.composer.input.toPlainText() == ""
    assert [c.attachment.name for c in doc_window.composer.pending.chips] == ["minutes.pdf"]
    # Removing the chip before sending: the message goes out without it.
    doc_window.composer.pending.chips[0].remove_button.click()
    assert doc_window.composer.pending.chips == []
    send(qtbot, doc_window, "hi")
    assert doc_window.view.widgets[-2].chips.chips == []
    assert not doc_window.view.widgets[-1].sources.isVisible()
    doc_window.close()


def test_bad_files_are_refused_clearly_and_the_chat_carries_on(
    qtbot: QtBot, doc_window: MainWindow, tmp_path: Path, small_pdf: Path
) -> None:
    locked = write_encrypted_pdf(tmp_path / "locked.pdf", user_password="secret")
    binary = tmp_path / "data.txt"
    binary.write_bytes(bytes(range(256)) * 64)
    attach(qtbot, doc_window, locked, binary, small_pdf)
    error = doc_window.composer.attach_error
    assert error.isVisible()
    assert "locked.pdf is password-protected" in error.text()
    assert "data.txt is not a text file" in error.text()
    assert [c.attachment.name for c in doc_window.composer.pending.chips] == ["minutes.pdf"]
    send(qtbot, doc_window, "What is the budget?")
    assert not error.isVisible()
    assert doc_window.view.widgets[-1].answer.toPlainText().strip() == "Hello! How can I help?"
    doc_window.close()


def test_documents_beyond_the_context_use_passages_and_offer_a_longer_context(
    qtbot: QtBot, doc_window: MainWindow, tmp_path: Path
) -> None:
    filler = "The committee reviewed routine matters of the facility and its staff schedule."
    pages = [[filler] * 8 for _ in range(10)]
    pages[6].insert(3, "The archive key is kept in locker 77.")
    big = write_pdf(tmp_path / "facility.pdf", pages)
    attach(qtbot, doc_window, big)
    send(qtbot, doc_window, "Where is the archive key kept?")
    answer = doc_window.view.widgets[-1]
    assert answer.sources.sources[0].page == 7
    assert answer.offer_box.isVisible() and "most relevant passages" in answer.offer_label.text()
    assert answer.offer_button.text().startswith("Reload with a 16,384-token context")
    question = doc_window.store.get_message(doc_window.view.widgets[-2].message.id)
    assert not question.sent_content.startswith(WHOLE_HEAD)

    answer.offer_button.click()
    qtbot.waitUntil(
        lambda: not doc_window.controller.answering and not doc_window.bridge.busy, timeout=60_000
    )
    assert doc_window.bridge.engine.plan.n_ctx == 16_384
    question = doc_window.store.get_message(question.id)
    assert question.sent_content.startswith(WHOLE_HEAD)  # now the model reads all of it
    last = doc_window.view.widgets[-1]
    assert last.answer.toPlainText().strip() == "Hello! How can I help?"
    assert not last.offer_box.isVisible() and len(last.sources.sources) == 10
    doc_window.close()


def test_budgets_are_counted_with_the_models_tokenizer(
    qtbot: QtBot, doc_window: MainWindow, tmp_path: Path
) -> None:
    """~3,900 tokens by the estimate (whole, in 8,192), ~13,600 by the model's tokenizer.

    Before, the whole document went out and the answer was "The conversation is 14,… tokens but the
    loaded context holds 8,192"; counted exactly (on the engine's thread), it answers from passages.
    """
    attach(qtbot, doc_window, write_fact_pdf(tmp_path / "four.pdf", n_pages=4, fact_page=3))
    send(qtbot, doc_window, QUESTION_EN)
    answer = doc_window.view.widgets[-1]
    assert not answer.error_box.isVisible(), answer.error_label.text()
    assert answer.answer.toPlainText().strip() == "Hello! How can I help?"
    assert answer.sources.sources[0].page == 3
    stored = doc_window.store.get_message(answer.message.id)
    assert stored.prompt_tokens + 2048 <= 8192  # the answer's room was kept
    question = doc_window.store.get_message(doc_window.view.widgets[-2].message.id)
    assert not question.sent_content.startswith(WHOLE_HEAD) and "[1] four.pdf, p. 3" in question.sent_content
    assert answer.offer_button.text().startswith("Reload with a 32,768-token context")  # sized exactly
    doc_window.close()


def test_a_small_context_carries_passages_or_says_why_not(
    qtbot: QtBot, scripted_model: Path, tmp_path: Path
) -> None:
    window = load(qtbot, scripted_model, 4096)
    attach(qtbot, window, write_fact_pdf(tmp_path / "long.pdf", n_pages=36, fact_page=30))
    send(qtbot, window, QUESTION_EN)
    answer = window.view.widgets[-1]
    assert answer.answer.toPlainText().strip() == "Hello! How can I help?"
    assert answer.sources.sources and answer.sources.sources[0].page == 30  # not "0 passages"

    # A system prompt that leaves no room for even one passage: an error, not a blind answer.
    cid = window.controller.conversation.id
    window.store.update_conversation(cid, system_prompt="Answer like a long-winded butler. " * 90)
    window.controller.conversation = window.store.get_conversation(cid)
    send(qtbot, window, "And the page number?")
    failed = window.view.widgets[-1]
    assert failed.error_box.isVisible() and "The attached documents do not fit" in failed.error_label.text()
    assert window.store.get_message(failed.message.id).status == "error"
    assert failed.answer.toPlainText().strip() == ""
    window.close()


def test_documents_go_to_a_server_budgeted_by_the_estimate(
    qtbot: QtBot, fake: FakeOpenAI, small_pdf: Path
) -> None:
    from tests.ui.test_remote_window import connect, turns

    window = open_window(qtbot, None)
    connect(qtbot, window, fake.base_url)
    assert window.bridge.remote is not None
    attach(qtbot, window, small_pdf)
    send(qtbot, window, "What is the budget for 2027?")
    answer = window.view.widgets[-1]
    assert answer.message.status == "complete" and answer.sources.sources[0].page == 2
    sent = turns(fake)[-1].body["messages"][-1]["content"]  # not the title's request after it
    assert sent.startswith(WHOLE_HEAD) and "40,000 euros" in sent
    window.close()
