"""DOCX parsing work is bounded by the limits, not just the bytes (issue 13, point 5).

python-docx built the whole XML tree and scanned every style for every paragraph: 190 MB of
markup in a 3.7 MB file took minutes and gigabytes, millions of tiny runs were accepted after
a minute and a half, 20,000 styles made 300 paragraphs take 22 s. Each test below failed (or
ran many times longer) with that code; the reading itself is checked against python-docx.
"""

from __future__ import annotations

import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from app.documents import DocumentError, Limits, extract
from app.documents.docx_text import docx_pages
from app.documents.limits import DEFAULT_LIMITS
from tests.documents.make_docs import (
    write_docx,
    write_long_docx,
    write_many_styles_docx,
    write_markup_heavy_docx,
    write_raw_docx,
    write_tiny_runs_docx,
)

MiB = 2**20


def python_docx_sections(path: Path) -> list[tuple[str, str]]:
    """What the python-docx reading gave: (label, text) per section (the old code, as an oracle)."""
    import re

    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    section_style = re.compile(r"^(Title|Heading [1-3])$")

    def is_heading(paragraph: Any) -> bool:
        style = paragraph.style
        for _ in range(10):
            if style is None:
                return False
            if section_style.match(style.name or ""):
                return True
            style = style.base_style
        return False

    document = docx.Document(str(path))
    sections: list[tuple[str, list[str]]] = [("", [])]
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(child, document)
            text = paragraph.text.strip()
            if text:
                if is_heading(paragraph):
                    sections.append((text, []))
                sections[-1][1].append(text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells, seen = [], set()
                for cell in row.cells:
                    if cell._tc not in seen:
                        seen.add(cell._tc)
                        cells.append(" ".join(cell.text.split()))
                if any(cells):
                    sections[-1][1].append(" | ".join(cells))
    return [(f"§ {h}" if h else "", "\n".join(lines)) for h, lines in sections if lines]


def sections(path: Path, limits: Limits = DEFAULT_LIMITS) -> list[tuple[str, str]]:
    return [(p.label, p.text) for p in docx_pages(path.read_bytes(), path.name, limits)]


def refusal(path: Path, limits: Limits) -> DocumentError:
    with pytest.raises(DocumentError) as err:
        extract(path, limits=limits)
    assert err.value.kind == "too_large" and path.name in err.value.message
    return err.value


def _p(inner: str, style: str = "") -> str:
    ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{ppr}{inner}</w:p>"


def _r(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def _tc(text: str, props: str = "") -> str:
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{_p(_r(text))}</w:tc>"


FEATURES = [
    _p(_r("Before any heading.")),
    _p(_r("Introduction"), "Heading1"),
    _p(
        _r("tab")
        + "<w:r><w:tab/><w:t>after</w:t><w:br/><w:t>line</w:t><w:br w:type=\"page\"/><w:cr/>"
        "<w:noBreakHyphen/><w:ptab/><w:instrText>PAGE</w:instrText><w:delText>gone</w:delText></w:r>"
        + '<w:hyperlink r:id="x" xmlns:r="urn:r">' + _r(" linked") + _r(" twice") + "</w:hyperlink>"
        + "<w:ins>" + _r(" inserted") + "</w:ins>"
        + "<w:r><w:drawing><w:txbxContent>" + _p(_r("in a text box")) + "</w:txbxContent></w:drawing></w:r>"
    ),
    "<w:sdt><w:sdtContent>" + _p(_r("in a content control")) + "</w:sdtContent></w:sdt>",
    _p(_r("Chapter in a custom style"), "Custom"),
    _p(_r("Not a section: heading 4 and below"), "Sub"),
    _p(_r("An unknown style is the default"), "NoSuchStyle"),
    "<w:tbl><w:tblPr/><w:tblGrid/>"
    + "<w:tr>" + _tc("spans two", '<w:gridSpan w:val="2"/>')
    + _tc("tall", '<w:vMerge w:val="restart"/>') + "</w:tr>"
    + "<w:tr>" + _tc("a") + _tc("b") + _tc("", "<w:vMerge/>") + "</w:tr>"
    + "<w:tr>" + _tc("c") + _tc("d") + _tc("", '<w:vMerge w:val="continue"/>') + "</w:tr>"
    + "<w:tr><w:trPr><w:gridBefore w:val=\"1\"/></w:trPr>" + _tc("late") + _tc("", "<w:vMerge/>") + "</w:tr>"
    + "<w:tr>" + _tc("") + _tc("") + _tc("") + "</w:tr>"
    + "<w:tr><w:tc>" + _p(_r("outer")) + "<w:tbl><w:tr>" + _tc("nested") + "</w:tr></w:tbl>"
    + _p(_r("  cell\ttext ")) + "</w:tc>" + _tc("x") + _tc("y") + "</w:tr>"
    + "</w:tbl>",
    _p(_r("Closing")),
    _p("", "Title"),
    "<w:sectPr/>",
]  # fmt: skip
FEATURE_STYLES = [
    '<w:style w:type="paragraph" w:styleId="Custom"><w:name w:val="Chapter"/><w:basedOn w:val="Heading2"/>'
    "</w:style>",
    '<w:style w:type="paragraph" w:styleId="Sub"><w:name w:val="Sub"/><w:basedOn w:val="Heading4"/>'
    "</w:style>",
]


def test_the_streamed_reading_gives_what_python_docx_gave(tmp_path: Path) -> None:
    raw = write_raw_docx(tmp_path / "features.docx", FEATURES, styles=FEATURE_STYLES)
    expected = python_docx_sections(raw)
    assert [label for label, _ in expected] == ["", "§ Introduction", "§ Chapter in a custom style"]
    assert "c | d | tall\nlate | tall\nouter cell text | x | y" in expected[2][1]
    assert sections(raw) == expected
    # The last default paragraph style counts; here it is based on Title, so a paragraph with no
    # style, or an unknown one, starts a section.
    body_default = '<w:style w:type="paragraph" w:default="1" w:styleId="Body"><w:name w:val="Body"/>'
    body_default += '<w:basedOn w:val="Title"/></w:style>'
    paragraphs = [_p(_r("no style")), _p(_r("normal"), "Normal"), _p(_r("unknown"), "Gone"), _p(_r("end"))]
    defaults = write_raw_docx(tmp_path / "defaults.docx", paragraphs, styles=[body_default])
    expected = python_docx_sections(defaults)
    assert [label for label, _ in expected] == ["§ no style", "§ unknown", "§ end"]
    assert sections(defaults) == expected
    made = write_docx(tmp_path / "annual.docx")
    assert sections(made) == python_docx_sections(made)


@pytest.fixture(scope="module")
def report_300_pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_long_docx(tmp_path_factory.mktemp("long") / "report.docx", pages=300)


def test_a_300_page_report_reads_as_before_in_a_fraction_of_the_time(report_300_pages: Path) -> None:
    started = time.perf_counter()
    doc = extract(report_300_pages)
    elapsed = time.perf_counter() - started
    assert [(p.label, p.text) for p in doc.pages] == python_docx_sections(report_300_pages)
    assert len(doc.pages) == 61 and doc.chars > 1_000_000
    print(f"300-page report: {elapsed:.2f} s (python-docx: 2.6–3.8 s; docs/benchmarks.md has the figures)")


def test_twenty_thousand_styles_are_resolved_once(tmp_path: Path) -> None:
    path = write_many_styles_docx(tmp_path / "styled.docx", styles=20_000)
    started = time.perf_counter()
    doc = extract(path)
    elapsed = time.perf_counter() - started
    assert [p.label for p in doc.pages] == ["§ Styled Chapter"]
    assert doc.pages[0].text.count("\n") == 300
    # the budget; python-docx: ~22 s (each paragraph's style chain scanned all styles); now ~0.3 s
    assert elapsed < 10.0
    err = refusal(path, Limits(max_docx_styles=10_000))
    assert "more than 10,000 styles" in err.message


def test_markup_beyond_the_xml_bound_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_markup_heavy_docx(tmp_path / "heavy.docx", paragraphs=3_000)
    size = zipfile.ZipFile(path).getinfo("word/document.xml").file_size
    assert size > 8 * MiB and path.stat().st_size < size / 15  # ~30× the text, compressing ~20×
    from lxml import etree

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the XML must not be parsed")

    monkeypatch.setattr(etree, "iterparse", never)
    monkeypatch.setattr(etree, "fromstring", never)
    monkeypatch.setattr(etree, "parse", never)
    err = refusal(path, Limits(max_docx_xml_bytes=4 * MiB))
    assert "of text markup" in err.message and "4.0 MB" in err.message


def test_the_text_cap_stops_the_parse_where_it_is_reached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_markup_heavy_docx(tmp_path / "long.docx", paragraphs=3_000)  # ~240,000 characters
    size = zipfile.ZipFile(path).getinfo("word/document.xml").file_size
    inflated = 0
    original = zipfile.ZipExtFile.read

    def counting(self: zipfile.ZipExtFile, n: int = -1) -> bytes:
        nonlocal inflated
        data = original(self, n)
        if self.name == "word/document.xml":
            inflated += len(data)
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting)
    err = refusal(path, Limits(max_text_chars=20_000))
    assert "20,000 characters" in err.message
    assert inflated < size / 5  # python-docx inflated and parsed all of it first


def test_a_million_tiny_runs_are_read_quickly_and_a_cap_refuses_more(tmp_path: Path) -> None:
    path = write_tiny_runs_docx(tmp_path / "runs.docx", runs=1_000_000)
    started = time.perf_counter()
    doc = extract(path)
    elapsed = time.perf_counter() - started
    assert doc.chars > 990_000 and len(doc.pages) == 1
    assert elapsed < 10.0  # the budget; python-docx: ~18 s and ~450 MB; streamed: ~1.5 s and ~30 MB
    started = time.perf_counter()
    err = refusal(path, Limits(max_docx_runs=100_000))
    assert "more than 100,000 runs" in err.message
    assert time.perf_counter() - started < elapsed / 3  # stopped at the cap, not after the whole file


def test_paragraph_and_cell_counts_are_bounded(tmp_path: Path) -> None:
    paragraphs = write_raw_docx(
        tmp_path / "paragraphs.docx", (f"<w:p><w:r><w:t>{i}</w:t></w:r></w:p>" for i in range(1500))
    )
    assert "more than 1,000 paragraphs" in refusal(paragraphs, Limits(max_docx_paragraphs=1_000)).message
    table = "<w:tbl>" + "".join("<w:tr>" + _tc("v") * 6 + "</w:tr>" for _ in range(100)) + "</w:tbl>"
    cells = write_raw_docx(tmp_path / "cells.docx", [table])
    assert "more than 500 table cells" in refusal(cells, Limits(max_docx_cells=500)).message
    assert len(extract(cells).pages[0].text.splitlines()) == 100  # within the default limits


def test_a_flood_of_markup_in_one_paragraph_is_refused(tmp_path: Path) -> None:
    flood = "<w:p><w:r><w:rPr>" + "<w:b/>" * 500_000 + "</w:rPr><w:t>bold</w:t></w:r></w:p>"
    path = write_raw_docx(tmp_path / "flood.docx", [flood])
    unzippable = Limits(max_zip_ratio=10_000)  # the repeated markup compresses ~1,000×
    err = refusal(path, Limits(max_docx_block_bytes=1 * MiB, max_zip_ratio=10_000))
    assert "paragraph or table row of more than 1.0 MB" in err.message
    assert extract(path, limits=unzippable).text == "bold"  # 3 MB in one paragraph is within the default


def test_a_document_at_every_limit_at_once_is_read_within_the_budget(tmp_path: Path) -> None:
    """A tenth of each DOCX limit, all reached in one document: a tenth of the ≤ 10 s budget."""
    limits = Limits(
        max_docx_paragraphs=DEFAULT_LIMITS.max_docx_paragraphs // 10,
        max_docx_runs=DEFAULT_LIMITS.max_docx_runs // 10,
        max_docx_cells=DEFAULT_LIMITS.max_docx_cells // 10,
        max_docx_styles=DEFAULT_LIMITS.max_docx_styles // 10,
        max_zip_ratio=10_000,  # the repeated markup compresses ~200×
    )
    rows = (limits.max_docx_cells - 10) // 6
    table = "<w:tbl>" + "".join("<w:tr>" + _tc("c") * 6 + "</w:tr>" for _ in range(rows)) + "</w:tbl>"
    runs_left = limits.max_docx_runs - 6 * rows - 100
    paragraphs = limits.max_docx_paragraphs - 6 * rows - 100
    per_paragraph = runs_left // paragraphs
    body = [table] + ["<w:p>" + _r("x") * per_paragraph + "</w:p>"] * paragraphs
    styles = (
        f'<w:style w:type="paragraph" w:styleId="S{i}"><w:name w:val="S{i}"/>'
        f'<w:basedOn w:val="S{i - 1}"/></w:style>'
        for i in range(limits.max_docx_styles - 100)
    )
    path = write_raw_docx(tmp_path / "everything.docx", body, styles=styles)
    started = time.perf_counter()
    doc = extract(path, limits=limits)
    assert time.perf_counter() - started < 2.0  # ~0.6 s here; the full limits take ~6 s
    assert len(doc.pages[0].text.splitlines()) == rows + paragraphs
