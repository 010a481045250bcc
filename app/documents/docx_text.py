"""DOCX text, streamed: paragraphs and tables in document order, sections by heading.

The body's paragraphs and tables are read in the order the author put them (a table stays
where it is). Title and Heading 1–3 paragraphs start a new section (a source says
"§ Finances"), and so do paragraphs in a custom style based on one of them; a table becomes
one line per row with cells joined by " | " (a merged cell is written once; a cell continuing
a vertical merge repeats the text above it). Headers, footers, footnotes, text boxes and
content controls are left out. This is what python-docx's ``paragraph.text``,
``paragraph.style`` and ``row.cells`` give, without python-docx's costs.

The cost of a DOCX is its XML, not its bytes on disk: 4 MB of zip can hold 200 MB of markup,
and python-docx builds the whole tree of it (gigabytes, minutes) and looks every paragraph's
style up by scanning all styles. Here, before anything is parsed, the zip directory is checked
(``limits.check_zip``: a zip bomb is refused without inflating it) and so is the inflated size
of word/document.xml (``limits.check_docx_xml``). The XML is then parsed as a stream
(``lxml.etree.iterparse``), each paragraph or table row dropped once its text is taken, so
memory holds one block at a time (``max_docx_block_bytes`` of markup at most); paragraphs,
runs, table cells and styles are counted as they come and the text is measured as it grows,
so a document over a limit is refused as soon as it gets there. The styles are read once into
the set of style ids that start a section. Entities are not resolved and no DTD or network is
touched, so an XML entity bomb does nothing either.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from lxml import etree

from app.documents.document import Page
from app.documents.errors import DocumentError
from app.documents.limits import Limits, check_docx_xml, check_text_size, check_zip, human_size

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_BODY, _P, _R, _T, _HYPERLINK = _W + "body", _W + "p", _W + "r", _W + "t", _W + "hyperlink"
_TBL, _TR, _TC, _BR = _W + "tbl", _W + "tr", _W + "tc", _W + "br"
_PPR, _PSTYLE, _TCPR, _TRPR = _W + "pPr", _W + "pStyle", _W + "tcPr", _W + "trPr"
_VAL, _TYPE = _W + "val", _W + "type"
_RUN_CHARS = {_W + "tab": "\t", _W + "ptab": "\t", _W + "cr": "\n", _W + "noBreakHyphen": "-"}
_SECTION_STYLE = re.compile(r"^(Title|[Hh]eading [1-3])$")  # Word writes "heading 1"
_DEFAULT_SECTION_STYLES = frozenset({"Title", "Heading1", "Heading2", "Heading3"})  # no styles part
_STYLES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
_MAX_RELS_BYTES = 2**20


def docx_pages(data: bytes, name: str, limits: Limits) -> list[Page]:
    """The text of the DOCX in ``data``, one page per heading section."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as exc:
        raise _corrupt(name, exc) from exc
    with archive:
        check_zip(name, archive, limits)
        try:
            document = archive.getinfo("word/document.xml")
        except KeyError:
            raise DocumentError(
                "corrupt", f"{name} is a zip file but not a Word document (no word/document.xml).", file=name
            ) from None
        check_docx_xml(name, document, limits)
        try:
            styles = _section_styles(archive, name, limits)
            reader = _Reader(archive.open(document), name, limits.max_docx_block_bytes)
            with reader:
                sections = _Body(name, limits, styles).read(reader)
        except DocumentError:
            raise
        except Exception as exc:  # lxml syntax errors, zip CRC and truncation errors, bad numbers…
            raise _corrupt(name, exc) from exc
    return [
        Page(None, "\n".join(lines), f"§ {heading}" if heading else "")
        for heading, lines in sections
        if lines
    ]


@dataclass(frozen=True)
class _SectionStyles:
    ids: frozenset[str]  # paragraph style ids that start a section
    default: bool  # whether a paragraph without a (known) style does
    known: frozenset[str]  # all paragraph style ids: any other id means the default style


class _Reader:
    """The XML stream, refusing a single paragraph or table row of more than ``limit`` bytes.

    lxml pulls the bytes through :meth:`read`; the parse drops each block once read and calls
    :meth:`mark`, so the bytes since the last mark are what the tree holds now.
    """

    def __init__(self, raw: IO[bytes], name: str, limit: int) -> None:
        self.raw, self.name, self.limit = raw, name, limit
        self.since_mark = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n if n > 0 else 2**16)
        self.since_mark += len(data)
        if self.since_mark > self.limit:
            raise DocumentError(
                "too_large",
                f"{self.name} has a paragraph or table row of more than {human_size(self.limit)} "
                "of markup; no readable document has one.",
                file=self.name,
            )
        return data

    def mark(self) -> None:
        self.since_mark = 0

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.raw.close()


def _iterparse(reader: _Reader, tags: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    return etree.iterparse(
        reader,
        events=("end",),
        tag=tags,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _drop(element: Any) -> None:
    """Free a finished element and everything before it under the same parent."""
    parent = element.getparent()
    element.clear()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]
        parent.remove(element)


def _too_many(name: str, count: int, what: str) -> DocumentError:
    return DocumentError(
        "too_large",
        f"{name} has more than {count:,} {what}; a document that big takes too long to read — "
        "split it into smaller files.",
        file=name,
    )


def _styles_path(archive: zipfile.ZipFile) -> str | None:
    """Where the document's styles are: its relationships say, word/styles.xml by default."""
    names = set(archive.namelist())
    rels = "word/_rels/document.xml.rels"
    if rels in names and archive.getinfo(rels).file_size <= _MAX_RELS_BYTES:
        parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)
        try:
            root = etree.fromstring(archive.read(rels), parser)
        except etree.XMLSyntaxError:
            root = None
        for rel in root.iter() if root is not None else ():
            if rel.get("Type") == _STYLES_REL and rel.get("TargetMode") != "External":
                target = rel.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else posixpath.join("word", target)
                path = posixpath.normpath(path)
                return path if path in names else None
    return "word/styles.xml" if "word/styles.xml" in names else None


def _section_styles(archive: zipfile.ZipFile, name: str, limits: Limits) -> _SectionStyles:
    """The paragraph styles that start a section, resolved once: a style is one if its name is
    Title or Heading 1–3, or if a style it is based on is (up to 10 steps: a cycle ends)."""
    path = _styles_path(archive)
    if path is None:
        return _SectionStyles(_DEFAULT_SECTION_STYLES, False, _DEFAULT_SECTION_STYLES)
    names: dict[str, str] = {}
    based_on: dict[str, str] = {}
    paragraph_ids: list[str] = []
    default: str | None = None
    count = 0
    with _Reader(archive.open(path), name, limits.max_docx_block_bytes) as reader:
        for _, style in _iterparse(reader, (_W + "style",)):
            count += 1
            if count > limits.max_docx_styles:
                raise _too_many(name, limits.max_docx_styles, "styles")
            style_id = style.get(_W + "styleId")
            if style_id is not None and style_id not in names:  # the first of a repeated id counts
                name_el = style.find(_W + "name")
                names[style_id] = (name_el.get(_VAL) if name_el is not None else None) or ""
                base = style.find(_W + "basedOn")
                if base is not None and base.get(_VAL):
                    based_on[style_id] = base.get(_VAL)
                if style.get(_TYPE, "paragraph") == "paragraph":
                    paragraph_ids.append(style_id)
                    if style.get(_W + "default") in ("1", "true", "on"):
                        default = style_id  # the last default one counts
            _drop(style)
            reader.mark()

    def starts_section(style_id: str) -> bool:
        current: str | None = style_id
        for _ in range(10):
            if current is None or current not in names:
                return False
            if _SECTION_STYLE.match(names[current]):
                return True
            current = based_on.get(current)
        return False

    ids = frozenset(s for s in paragraph_ids if starts_section(s))
    return _SectionStyles(ids, default is not None and default in ids, frozenset(paragraph_ids))


@dataclass
class _Body:
    """The body's text as (heading, lines) sections, read block by block with counts."""

    name: str
    limits: Limits
    styles: _SectionStyles
    sections: list[tuple[str, list[str]]] = field(default_factory=lambda: [("", [])])
    chars: int = 0
    paragraphs: int = 0
    runs: int = 0
    cells: int = 0
    above: dict[int, str] = field(default_factory=dict)  # the previous row's cells by grid column
    cell_lines: dict[Any, list[str]] = field(default_factory=dict)  # the row's cells' paragraphs

    def read(self, reader: _Reader) -> list[tuple[str, list[str]]]:
        for _, element in _iterparse(reader, (_P, _TR, _TBL)):
            parent = element.getparent()
            parent_tag = parent.tag if parent is not None else None
            if element.tag == _P:
                self._count_paragraph()
                if parent_tag == _BODY:
                    self._top_paragraph(element)
                    _drop(element)
                elif parent_tag == _TC:  # keep only its text until the row ends
                    self.cell_lines.setdefault(parent, []).append(self._paragraph_text(element))
                    element.clear()
                    parent.remove(element)  # not the cell's properties before it
                else:  # in a text box, a content control, …: not part of the text
                    element.clear()
                reader.mark()
            elif element.tag == _TR:
                grandparent = parent.getparent() if parent is not None else None
                if grandparent is not None and grandparent.tag == _BODY:
                    self._row(element)
                    _drop(element)
                    reader.mark()
            elif parent_tag == _BODY:  # a table of the body has ended
                self.above = {}
                _drop(element)
                reader.mark()
        return self.sections

    def _count_paragraph(self) -> None:
        self.paragraphs += 1
        if self.paragraphs > self.limits.max_docx_paragraphs:
            raise _too_many(self.name, self.limits.max_docx_paragraphs, "paragraphs")

    def _add_line(self, line: str) -> None:
        self.sections[-1][1].append(line)
        self.chars += len(line) + 1
        check_text_size(self.name, self.chars, self.limits)

    def _top_paragraph(self, p: Any) -> None:
        text = self._paragraph_text(p).strip()
        if not text:
            return
        if self._starts_section(p):
            self.sections.append((text, []))
        self._add_line(text)

    def _starts_section(self, p: Any) -> bool:
        ppr = p.find(_PPR)
        style = ppr.find(_PSTYLE) if ppr is not None else None
        style_id = style.get(_VAL) if style is not None else None
        if style_id is None or style_id not in self.styles.known:
            return self.styles.default
        return style_id in self.styles.ids

    def _paragraph_text(self, p: Any) -> str:
        """Runs and hyperlinked runs: text, tabs, line breaks and non-breaking hyphens."""
        parts: list[str] = []
        runs = 0
        for child in p:
            if child.tag == _R:
                runs += 1
                _run_text(child, parts)
            elif child.tag == _HYPERLINK:
                for run in child.iterchildren(_R):
                    runs += 1
                    _run_text(run, parts)
        self.runs += runs
        if self.runs > self.limits.max_docx_runs:
            raise _too_many(self.name, self.limits.max_docx_runs, "runs of text")
        return "".join(parts)

    def _row(self, tr: Any) -> None:
        cells: list[str] = []
        row: dict[int, str] = {}
        column = _int_val(tr.find(_TRPR), _W + "gridBefore", 0)
        for tc in tr.iterchildren(_TC):
            self.cells += 1
            if self.cells > self.limits.max_docx_cells:
                raise _too_many(self.name, self.limits.max_docx_cells, "table cells")
            props = tc.find(_TCPR)
            v_merge = props.find(_W + "vMerge") if props is not None else None
            if v_merge is not None and v_merge.get(_VAL, "continue") == "continue":
                text = self.above.get(column, "")
            else:
                text = " ".join(" ".join(self.cell_lines.get(tc, ())).split())
            row[column] = text
            cells.append(text)
            column += max(1, _int_val(props, _W + "gridSpan", 1))
        self.above = row
        self.cell_lines.clear()  # and those of nested tables' cells, which are not read
        if any(cells):
            self._add_line(" | ".join(cells))


def _run_text(run: Any, parts: list[str]) -> None:
    for item in run:
        tag = item.tag
        if tag == _T:
            parts.append(item.text or "")
        elif tag == _BR:
            if item.get(_TYPE, "textWrapping") == "textWrapping":  # page and column breaks: nothing
                parts.append("\n")
        elif tag in _RUN_CHARS:
            parts.append(_RUN_CHARS[tag])


def _int_val(props: Any, tag: str, default: int) -> int:
    element = props.find(tag) if props is not None else None
    value = element.get(_VAL) if element is not None else None
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _corrupt(name: str, exc: BaseException) -> DocumentError:
    return DocumentError(
        "corrupt", f"{name} is damaged or truncated and cannot be read as a Word document ({exc}).", file=name
    )
