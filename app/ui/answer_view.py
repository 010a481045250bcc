"""One message's Markdown, shown safely and updated incrementally while it streams.

The text is untrusted model output: the renderer already escapes raw HTML and
turns images into links; on top of that this view never loads any resource
(remote or local) and opens links in the system browser only when clicked.
While streaming, complete blocks are appended once through a cursor and only
the growing tail is replaced, so a long answer costs linear time.

Signals:
    link_activated(str): an http(s)/mailto link was clicked.
"""

from __future__ import annotations

import html
import re
from typing import Any

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QTextBlockFormat, QTextCursor
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QWidget

from app.render.markdown_html import COPY_SCHEME, StreamingMarkdown, render_markdown

SAFE_SCHEMES = ("http", "https", "mailto")
# The renderer's English "Copy" above each code block (model output cannot make such a link:
# its raw HTML is escaped and copy-code: is not a scheme a Markdown link keeps).
_COPY_LINK = re.compile(f'(<a href="{COPY_SCHEME}:\\d+">)Copy(</a>)')


class AnswerView(QTextBrowser):
    link_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, dark: bool = False) -> None:
        super().__init__(parent)
        self.dark = dark
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._on_anchor)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self._code_blocks: list[str] = []
        self._stream: StreamingMarkdown | None = None
        self._tail_start = 0
        self.markdown = ""

    # ------------------------------------------------------------- content

    def set_markdown(self, text: str) -> None:
        """Show a complete message."""
        self._stream = None
        self.markdown = text
        rendered = render_markdown(text, dark=self.dark)
        self._code_blocks = list(rendered.code_blocks)
        self.setHtml(self._localized(rendered.html))

    def begin_stream(self) -> None:
        self._stream = StreamingMarkdown(dark=self.dark)
        self._tail_start = 0
        self.markdown = ""
        self.clear()

    def update_stream(self, text: str) -> None:
        """The message so far; only what changed since the last call is re-rendered."""
        if self._stream is None:
            self.begin_stream()
        assert self._stream is not None
        self.markdown = text
        self._apply(self._stream.update(text))

    def finish_stream(self, text: str) -> None:
        if self._stream is None:
            self.set_markdown(text)
            return
        self.markdown = text
        self._apply(self._stream.finish(text))
        self._stream = None
        self._drop_trailing_block()

    def _drop_trailing_block(self) -> None:
        """Streaming leaves an empty paragraph after the last block (where the next one would have
        gone): without it the answer is as tall as when it is opened again from the history."""
        doc = self.document()
        last = doc.lastBlock()
        if doc.blockCount() < 2 or last.length() > 1:
            return
        cursor = QTextCursor(last)
        cursor.movePosition(QTextCursor.MoveOperation.PreviousCharacter)
        if cursor.currentTable() is not None:
            return  # a table (a code block) must be followed by a block
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()

    def _apply(self, update: Any) -> None:
        if getattr(update, "restart", False):
            self.clear()
            self._tail_start = 0
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        cursor.setPosition(self._tail_start)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        _plain_block(cursor)
        if update.append_html:
            _join_table(cursor, update.append_html)
            cursor.insertHtml(self._localized(update.append_html))
            cursor.insertBlock()
            _plain_block(cursor)
            self._tail_start = cursor.position()
        if update.tail_html:
            _join_table(cursor, update.tail_html)
            cursor.insertHtml(self._localized(update.tail_html))
        cursor.endEditBlock()
        self._code_blocks = list(self._stream.code_blocks) if self._stream else self._code_blocks

    def _localized(self, rendered: str) -> str:
        """The code blocks' Copy links in the window's language."""
        label = self.tr("Copy")
        if label == "Copy":
            return rendered
        return _COPY_LINK.sub(lambda m: m[1] + html.escape(label) + m[2], rendered)

    # ------------------------------------------------------------ behaviour

    def loadResource(self, type: int, name: QUrl | str) -> Any:
        """Never fetch anything a message refers to: no images, no stylesheets, local or remote."""
        return None

    def _on_anchor(self, url: QUrl) -> None:
        if url.scheme() == "copy-code":
            index = int(url.path() or url.toString().split(":", 1)[1])
            if 0 <= index < len(self._code_blocks):
                QGuiApplication.clipboard().setText(self._code_blocks[index])
            return
        if url.scheme() in SAFE_SCHEMES:
            self.link_activated.emit(url.toString())
            QDesktopServices.openUrl(url)

    def code_blocks(self) -> list[str]:
        return list(self._code_blocks)

    def _fit(self, size: QSize | None = None) -> None:
        height = int(self.document().size().height()) + 4
        if self.horizontalScrollBar().isVisible():
            height += self.horizontalScrollBar().height()
        self.setFixedHeight(max(height, 20))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()


def _plain_block(cursor: QTextCursor) -> None:
    """Make the cursor's (empty) block a plain paragraph again: a block made after a list item, or
    left where a list was removed, stays in that list, and the next HTML would show as a bullet."""
    text_list = cursor.currentList()
    if text_list is not None:
        text_list.remove(cursor.block())
    cursor.setBlockFormat(QTextBlockFormat())


def _join_table(cursor: QTextCursor, html_text: str) -> None:
    """A code block (a table) inserted into the empty paragraph left for what comes next would keep
    that paragraph as a blank line above it; drop the paragraph so the table follows the text,
    as it does when the whole answer is rendered at once."""
    if not html_text.lstrip().startswith("<table") or cursor.block().length() > 1 or cursor.position() == 0:
        return
    before = QTextCursor(cursor)
    before.movePosition(QTextCursor.MoveOperation.PreviousCharacter)
    if before.currentTable() is None:
        cursor.deletePreviousChar()
