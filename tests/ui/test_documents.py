"""Document Q&A in the window: attach (button, drop), chips, sources, persistence, errors, YaRN offer."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QUrl
from pytestqt.qtbot import QtBot

from app.documents.context import WHOLE_HEAD
from app.ui.main_window import MainWindow
from app.ui.sources_view import PassageDialog
from tests.documents.make_docs import write_encrypted_pdf, write_pdf
from tests.ui.conftest import open_window, send


def one_token_per_byte(text: str) -> int:
    return len(text.encode())  # the scripted test model's tokenizer: bytes


def attach(qtbot: QtBot, window: MainWindow, *paths: Path) -> None:
    window.controller.attach_files([str(p) for p in paths])
    qtbot.waitUntil(lambda: not window.controller.preparer.busy, timeout=20_000)


@pytest.fixture
def small_pdf(tmp_path: Path) -> Path:
    return write_pdf(
        tmp_path / "minutes.pdf",
        [["Meeting minutes, first page."], ["The budget for 2027 is 40,000 euros."], ["Next meeting: May."]],
    )


@pytest.fixture
def doc_window(qtbot: QtBot, scripted_model: Path) -> MainWindow:
    window = open_window(qtbot, None)
    window.controller.load_model(str(scripted_model), n_ctx=8192)
    qtbot.waitUntil(lambda: window.bridge.model_path is not None and not window.bridge.busy, timeout=30_000)
    window.controller.count_tokens = one_token_per_byte
    return window


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
