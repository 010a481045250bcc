"""DOCX text with python-docx: paragraphs and tables in document order, sections by heading.

python-docx's ``Document.paragraphs`` and ``.tables`` are separate lists, which would move
every table to the end; walking the body's children keeps them where the author put them.
Title and Heading 1–3 paragraphs start a new section (a source says "§ Finances"); a table
becomes one line per row with cells joined by " | " (a merged cell is written once).
Headers, footers, footnotes and text boxes are left out.

Before python-docx sees the file, its zip directory is checked (``limits.check_zip``), so a
zip bomb is refused without inflating it. python-docx parses the XML with entity
resolution off, so an XML entity bomb inside a small part does nothing either.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from app.documents.document import Page
from app.documents.errors import DocumentError
from app.documents.limits import Limits, check_zip

_SECTION_STYLE = re.compile(r"^(Title|Heading [1-3])$")


def docx_pages(data: bytes, name: str, limits: Limits) -> list[Page]:
    """The text of the DOCX in ``data``, one page per heading section."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as exc:
        raise _corrupt(name, exc) from exc
    with archive:
        check_zip(name, archive, limits)
        if "word/document.xml" not in archive.namelist():
            raise DocumentError(
                "corrupt", f"{name} is a zip file but not a Word document (no word/document.xml).", file=name
            )
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
        sections: list[tuple[str, list[str]]] = [("", [])]
        body = document.element.body
        for child in body.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                paragraph = Paragraph(child, document)
                text = paragraph.text.strip()
                if not text:
                    continue
                if _is_section_heading(paragraph):
                    sections.append((text, []))
                sections[-1][1].append(text)
            elif tag == "tbl":
                sections[-1][1].extend(_table_lines(Table(child, document)))
    except DocumentError:
        raise
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors, zip errors…
        raise _corrupt(name, exc) from exc
    return [
        Page(None, "\n".join(lines), f"§ {heading}" if heading else "")
        for heading, lines in sections
        if lines
    ]


def _is_section_heading(paragraph: Any) -> bool:
    style = paragraph.style
    for _ in range(10):  # a custom style based on "Heading 1" is a heading too; a cycle is not endless
        if style is None:
            return False
        if _SECTION_STYLE.match(style.name or ""):
            return True
        style = style.base_style
    return False


def _table_lines(table: Any) -> list[str]:
    lines = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[Any] = set()  # the cells' XML elements (kept alive, so identity holds)
        for cell in row.cells:
            if cell._tc in seen:  # a merged cell appears once per grid column it spans
                continue
            seen.add(cell._tc)
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            lines.append(" | ".join(cells))
    return lines


def _corrupt(name: str, exc: BaseException) -> DocumentError:
    return DocumentError(
        "corrupt", f"{name} is damaged or truncated and cannot be read as a Word document ({exc}).", file=name
    )
