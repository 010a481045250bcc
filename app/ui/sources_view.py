"""The sources under an answer: "[1] report.pdf, p. 37" links that open the passage.

They are shown whatever the model writes (it is asked to cite them, but small
models often do not), best first, and stay with the answer after a restart.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout, QWidget

from app.documents import Source

SHOWN = 8  # more than this (a whole document's pages) collapse into "+N more"


class SourcesLabel(QLabel):
    """Clickable source list; a click opens the passage in a PassageDialog."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sources")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.linkActivated.connect(self._open)
        self.sources: list[Source] = []
        self.expanded = False
        self.dialog: PassageDialog | None = None
        self.hide()

    def set_sources(self, sources: list[Source]) -> None:
        self.sources = list(sources)
        self._render()

    def _render(self) -> None:
        if not self.sources:
            self.hide()
            return
        shown = self.sources if self.expanded else self.sources[:SHOWN]
        links = [f'<a href="source:{i}">[{s.ref}] {html.escape(s.citation)}</a>' for i, s in enumerate(shown)]
        more = len(self.sources) - len(shown)
        if more:
            label = self.tr("+{n} more").format(n=more)  # (lupdate does not look inside f-strings)
            links.append(f'<a href="more:">{html.escape(label)}</a>')
        title = html.escape(self.tr("Sources:"))
        self.setText(f"<b>{title}</b> " + " &nbsp; ".join(links))
        self.show()

    def _open(self, href: str) -> None:
        if href == "more:":
            self.expanded = True
            self._render()
            return
        index = int(href.removeprefix("source:"))
        self.dialog = PassageDialog(self.sources[index], self.window())
        self.dialog.open()


class PassageDialog(QDialog):
    """The passage a source points at, with its file and page."""

    def __init__(self, source: Source, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"[{source.ref}] {source.citation}")
        self.resize(640, 420)
        self.text = QTextBrowser(self)
        self.text.setPlainText(source.text)
        layout = QVBoxLayout(self)
        where = self.tr("{citation} · characters {start}–{end}").format(
            citation=source.citation, start=f"{source.chars[0]:,}", end=f"{source.chars[1]:,}"
        )
        layout.addWidget(QLabel(where))
        layout.addWidget(self.text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
