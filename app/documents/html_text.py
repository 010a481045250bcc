"""HTML to text with the standard library's ``html.parser``.

A saved web page or exported help file needs its words, its block structure (paragraphs,
list items, table rows as lines) and its headings as sections; it does not need a DOM.
``html.parser`` is forgiving with broken markup, decodes entities, and is already there,
so no third-party HTML library earns its place. Scripts, styles and other invisible parts
are dropped; ``<pre>`` keeps its whitespace. Headings h1–h3 start a new section, so a
source under an answer can say "§ Installation".
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from app.documents.document import Page

_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "math", "head", "iframe", "object"})
# Blocks that end a paragraph (a blank line) and those that only end a line.
_PARAGRAPH = frozenset(
    {
        "p", "table", "ul", "ol", "dl", "section", "article", "header", "footer", "nav", "main", "aside",
        "figure", "blockquote", "pre", "form", "address", "details", "h4", "h5", "h6", "hr",
    }
)  # fmt: skip
_LINE = frozenset({"br", "div", "li", "tr", "dt", "dd", "figcaption", "summary", "caption", "thead", "tbody"})
_SECTION_HEADINGS = frozenset({"h1", "h2", "h3"})
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


class _Section:
    def __init__(self, heading: str) -> None:
        self.heading = heading
        self.parts: list[str] = []
        self.pending = 0  # line breaks owed before the next text

    def write(self, text: str) -> None:
        if self.parts and self.pending:
            self.parts.append("\n" * self.pending)
        self.pending = 0
        self.parts.append(text)

    def text(self) -> str:
        return "".join(self.parts).strip()


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections = [_Section("")]
        self._skip_depth = 0
        self._pre_depth = 0
        self._heading: list[str] | None = None
        self._row_cells = 0

    def _break(self, n: int) -> None:
        section = self.sections[-1]
        section.pending = max(section.pending, n)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip_depth += 1
            return
        if self._skip_depth:
            return
        if tag in _SECTION_HEADINGS:
            self._heading = []
        elif tag in _PARAGRAPH or tag in _LINE:
            self._break(2 if tag in _PARAGRAPH else 1)
            if tag == "li":
                self._write("- ")
            elif tag == "tr":
                self._row_cells = 0
            elif tag == "pre":
                self._pre_depth += 1
        elif tag in ("td", "th"):
            if self._row_cells:
                self._write(" | ")
            self._row_cells += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _PARAGRAPH or tag in _LINE:  # <br/>, <hr/>: nothing to close
            self._break(2 if tag in _PARAGRAPH else 1)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if self._skip_depth:
            return
        if tag in _SECTION_HEADINGS and self._heading is not None:
            heading = _SPACES.sub(" ", "".join(self._heading)).strip()
            self._heading = None
            if heading:
                self.sections.append(_Section(heading))
                self.sections[-1].write(heading)
                self._break(2)
        elif tag in _PARAGRAPH or tag in _LINE:
            self._break(2 if tag in _PARAGRAPH else 1)
            if tag == "pre":
                self._pre_depth = max(0, self._pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._heading is not None:
            self._heading.append(data)
        elif self._pre_depth:
            self._write(data)
        else:
            text = _SPACES.sub(" ", data)
            section = self.sections[-1]
            if text == " " and (section.pending or not section.parts or section.parts[-1].endswith(" ")):
                return
            if section.pending or not section.parts:
                text = text.lstrip(" ")
            self._write(text)

    def _write(self, text: str) -> None:
        if text:
            self.sections[-1].write(text)


def html_pages(html: str) -> list[Page]:
    """The visible text of ``html``, one page per h1–h3 section (label "§ heading")."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    pages = []
    for section in parser.sections:
        text = section.text()
        if text:
            pages.append(Page(None, text, f"§ {section.heading}" if section.heading else ""))
    return pages


def declared_charset(head: bytes) -> str | None:
    """The ``<meta charset>`` (or http-equiv) of an HTML file's first bytes, if any."""
    match = META_CHARSET.search(head[:4096])
    return match.group(1).decode("ascii").lower() if match else None
