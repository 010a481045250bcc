"""What extraction produces: a document's text page by page (or section by section).

A :class:`Page` is the unit a source points at: a PDF page (``number`` is its 1-based page in
the file), a DOCX/HTML/Markdown section under a heading (``number`` None, ``label`` the
heading), or the whole text of a plain file. Chunks never span two pages, so every chunk, and
every source shown under an answer, has exactly one page or section.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Page:
    """One page or section of extracted text."""

    number: int | None  # 1-based page in the file; None where the format has no pages
    text: str
    label: str = ""  # how a source names it: "p. 37", a heading, or "" for a whole plain file


@dataclass(frozen=True)
class ExtractedDocument:
    """A file's text, ready to chunk and index; extraction never touches the database."""

    name: str  # the file name as the user sees it on the chip
    kind: str  # "pdf", "docx", "html", "markdown", "text", "csv" or "code"
    size: int  # bytes on disk
    sha256: str
    pages: tuple[Page, ...]
    page_count: int | None = None  # pages in the file (PDF only; shown on the chip)
    encoding: str | None = None  # for text files: the encoding that was detected
    warnings: tuple[str, ...] = field(default=())  # e.g. "3 pages have no text (images only?)"

    @property
    def chars(self) -> int:
        return sum(len(p.text) for p in self.pages)

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)
