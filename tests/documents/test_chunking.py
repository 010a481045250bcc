"""Chunks: a few hundred tokens, overlapping, one page each, covering every page exactly."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

from app.documents import ExtractedDocument, Page, chunk_document, estimate_tokens, extract
from app.documents.chunking import chunk_page
from tests.documents.make_docs import chinese_filler_lines, filler_lines


def _document(*pages: Page) -> ExtractedDocument:
    return ExtractedDocument(name="x", kind="text", size=0, sha256="", pages=pages)


def _check_cover(page: Page, chunks: list) -> None:
    """Every chunk is its page's text at its offsets; together they cover the page, in order."""
    assert chunks[0].start == 0 and chunks[-1].end == len(page.text)
    for a, b in itertools.pairwise(chunks):
        assert a.start < b.start <= a.end  # overlapping or touching, always advancing
    for c in chunks:
        assert page.text[c.start : c.end] == c.text


def test_english_pages_make_overlapping_chunks_of_a_few_hundred_tokens(english_pdf: Path) -> None:
    doc = extract(english_pdf)
    chunks = chunk_document(doc)
    assert len(chunks) > len(doc.pages)
    for index, page in enumerate(doc.pages):
        mine = [c for c in chunks if c.section == index]
        assert {(c.page, c.label) for c in mine} == {(page.number, page.label)}  # never spans pages
        _check_cover(page, mine)
        overlaps = [a.end - b.start for a, b in itertools.pairwise(mine)]
        assert all(80 <= o <= 250 for o in overlaps), overlaps  # ~50 tokens
    sizes = [estimate_tokens(c.text) for c in chunks]
    assert max(sizes) <= 360 and sorted(sizes)[len(sizes) // 2] >= 200


def test_chunks_end_at_sentence_or_line_ends() -> None:
    page = Page(3, "\n".join(filler_lines(random.Random(1), 80)), "p. 3")
    chunks = list(chunk_page(page, 0))
    assert len(chunks) >= 3
    assert all(c.text.endswith(".\n") for c in chunks[:-1])


def test_chinese_chunks_count_characters_as_tokens() -> None:
    text = "".join(chinese_filler_lines(random.Random(2), 60))  # no line breaks at all
    page = Page(None, text, "§ 正文")
    chunks = list(chunk_page(page, 5))
    _check_cover(page, chunks)
    assert all(c.section == 5 and c.label == "§ 正文" for c in chunks)
    assert all(150 <= len(c.text) <= 360 for c in chunks)  # ~300 characters, not 1,000
    assert all(c.text.endswith("。") for c in chunks[:-1])  # cut after a sentence


def test_text_without_any_break_is_still_cut() -> None:
    page = Page(1, "x" * 5000, "p. 1")
    chunks = list(chunk_page(page, 0))
    _check_cover(page, chunks)
    assert len(chunks) > 3


def test_short_pages_are_one_chunk_and_blank_pages_none() -> None:
    doc = _document(Page(1, "Short page.", "p. 1"), Page(2, "   \n ", "p. 2"), Page(3, "Another.", "p. 3"))
    chunks = chunk_document(doc)
    assert [(c.section, c.page, c.text) for c in chunks] == [(0, 1, "Short page."), (2, 3, "Another.")]


def test_plain_files_are_labelled_by_lines() -> None:
    text = "".join(f"line number {i} of a long plain text file with some words\n" for i in range(1, 201))
    chunks = list(chunk_page(Page(None, text), 0))
    assert chunks[0].label.startswith("lines 1–")
    for c in chunks:
        first = int(c.text.split()[2]) if c.text.startswith("line number") else None
        if first is not None:
            assert c.label.startswith(f"lines {first}–")
    assert chunks[-1].label.endswith("–200")
    (only,) = chunk_page(Page(None, "one line"), 0)
    assert only.label == "line 1"
