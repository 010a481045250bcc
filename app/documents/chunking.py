"""Split pages into overlapping chunks of a few hundred tokens, for retrieval.

A chunk is the unit that is ranked, cited and shown: small enough that a handful fit in the
prompt beside the conversation, large enough to carry a fact with its context. Chunks never
cross a page, so each cites one page or section; they overlap by ~50 tokens so a sentence cut
at one chunk's end is whole in the next. Cuts prefer a paragraph break, then a sentence end
(Latin or CJK punctuation), then a space. ``start``/``end`` are offsets into the page's text;
together the chunks of a page cover all of it, so the page can be rebuilt from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.documents.document import ExtractedDocument, Page
from app.documents.tokens import estimate_tokens

TARGET_TOKENS = 300
OVERLAP_TOKENS = 50
_SENTENCE_END = re.compile(r"[.!?;:][)\"'”’]?\s|[。！？；…]")
_SPACE = re.compile(r"\s")


@dataclass(frozen=True)
class Chunk:
    """A piece of one page: ``text == page.text[start:end]``."""

    section: int  # index of its page in the document's pages (sections have no number)
    page: int | None  # 1-based page in the file, None where the format has none
    label: str  # "p. 37", "§ Finances", "lines 120–164"
    start: int
    end: int
    text: str


def chunk_document(
    document: ExtractedDocument, *, target_tokens: int = TARGET_TOKENS, overlap_tokens: int = OVERLAP_TOKENS
) -> list[Chunk]:
    """All chunks of ``document``, page by page, in order."""
    chunks: list[Chunk] = []
    for index, page in enumerate(document.pages):
        chunks.extend(chunk_page(page, index, target_tokens=target_tokens, overlap_tokens=overlap_tokens))
    return chunks


def chunk_page(
    page: Page, section: int, *, target_tokens: int = TARGET_TOKENS, overlap_tokens: int = OVERLAP_TOKENS
) -> list[Chunk]:
    """The chunks of one page (none for a blank one); ``section`` is the page's index."""
    text = page.text
    if not text.strip():
        return []
    # Characters per token for this page: CJK text packs ~1 token per character, English ~3.5.
    chars_per_token = len(text) / max(estimate_tokens(text), 1)
    size = max(64, int(target_tokens * chars_per_token))
    overlap = int(overlap_tokens * chars_per_token)
    spans: list[tuple[int, int]] = []
    start = 0
    while True:
        if len(text) - start <= size * 1.2:  # a short tail joins the last chunk
            spans.append((start, len(text)))
            break
        end = _cut(text, start + size // 2, start + size)
        spans.append((start, end))
        start = _restart(text, max(start + 1, end - overlap), end)
    lines = _line_labels(text, spans) if not page.label else None
    return [
        Chunk(section, page.number, lines[i] if lines else page.label, a, b, text[a:b])
        for i, (a, b) in enumerate(spans)
    ]


def _cut(text: str, lo: int, hi: int) -> int:
    """Where to end a chunk in ``text[lo:hi]``: after a paragraph, a sentence, or a space."""
    para = text.rfind("\n\n", lo, hi)
    if para != -1:
        return para + 2
    last = None
    for last in _SENTENCE_END.finditer(text, lo, hi):  # noqa: B007 - we want the last one
        pass
    if last is not None:
        return last.end()
    line = text.rfind("\n", lo, hi)
    if line != -1:
        return line + 1
    space = text.rfind(" ", lo, hi)
    return space + 1 if space != -1 else hi


def _restart(text: str, lo: int, end: int) -> int:
    """Start the next chunk at a word boundary at or after ``lo`` (but before ``end``)."""
    match = _SPACE.search(text, lo, end)
    if match is None:
        return lo
    return match.end() if match.end() < end else lo


def _line_labels(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """ "lines 12–40" for each span of a plain file (counted incrementally: spans are in order)."""
    labels = []
    line, pos = 1, 0
    for a, b in spans:
        line += text.count("\n", pos, a)
        pos = a
        last = line + text.count("\n", a, max(a, b - 1))
        labels.append(f"line {line}" if last == line else f"lines {line}–{last}")
    return labels
