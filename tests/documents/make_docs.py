"""Documents written on the spot for the document tests and the benchmark, without new dependencies.

A PDF here is written by hand (a few dozen lines of PDF syntax) so a test knows exactly which
text sits on which page: Latin text in the standard Helvetica font, Chinese through a Type0
font with Identity-H encoding whose ToUnicode CMap maps each CID (= the code point) back to
its character; no font file is embedded, as text extraction needs none. The encrypted PDF is
made with pypdf's writer, the DOCX files with python-docx, the zip bomb with zipfile.
"""

from __future__ import annotations

import io
import random
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

_LOREM = (
    "river harbour lantern meadow granite orchard compass quarry willow thunder beacon saddle "
    "marble canyon voyage falcon ember glacier prairie tundra cobalt amber orchard velvet summit "
    "ledger kettle pigeon tractor violin walnut yarrow zephyr anchor bramble cider dune estuary "
    "fjord grove heron island jasmine kelp lagoon mosaic nectar oasis pebble quill reef spruce"
)
LOREM = _LOREM.split()

HANZI_SENTENCES = (
    "春天的河水慢慢流过古老的石桥。",
    "山上的松树在风中轻轻摇动。",
    "城市的图书馆每天早上八点开门。",
    "农民在田野里种下新的稻谷。",
    "海边的灯塔照亮了夜晚的航线。",
    "学生们在教室里认真地讨论历史问题。",
    "市场上的水果又新鲜又便宜。",
    "老师用简单的例子解释复杂的道理。",
    "工厂的机器一直运转到深夜。",
    "公园里的孩子们在草地上放风筝。",
)


def filler_lines(rng: random.Random, n_lines: int, words_per_line: int = 12) -> list[str]:
    """Sentences of ordinary words: every page has text, none has the answer."""
    lines = []
    for _ in range(n_lines):
        words = [rng.choice(LOREM) for _ in range(words_per_line)]
        lines.append(" ".join(words).capitalize() + ".")
    return lines


def chinese_filler_lines(rng: random.Random, n_lines: int) -> list[str]:
    return ["".join(rng.choice(HANZI_SENTENCES) for _ in range(2)) for _ in range(n_lines)]


def _pdf_escape(text: str) -> bytes:
    raw = text.encode("cp1252")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _to_unicode_cmap(code_points: set[int]) -> bytes:
    """Map each CID used (= its BMP code point) to Unicode, as a subset font's CMap does."""
    used = sorted(code_points)
    out = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        "1 begincodespacerange <0000> <FFFF> endcodespacerange",
    ]
    for i in range(0, len(used), 100):  # at most 100 entries per block
        part = used[i : i + 100]
        out.append(f"{len(part)} beginbfchar")
        out += [f"<{cp:04X}> <{cp:04X}>" for cp in part]
        out.append("endbfchar")
    out += ["endcmap CMapName currentdict /CMap defineresource pop end end"]
    return "\n".join(out).encode("ascii")


class _PdfObjects:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def reserve(self) -> int:
        self.bodies.append(b"")
        return len(self.bodies)

    def set(self, num: int, body: bytes) -> None:
        self.bodies[num - 1] = body

    def add(self, body: bytes) -> int:
        num = self.reserve()
        self.set(num, body)
        return num

    def stream(self, data: bytes, extra: bytes = b"", compress: bool = True) -> int:
        if compress:
            data = zlib.compress(data)
            extra += b" /Filter /FlateDecode"
        return self.add(b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream")

    def write(self, root: int) -> bytes:
        out = io.BytesIO()
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for i, body in enumerate(self.bodies, start=1):
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
        xref = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.bodies) + 1))
        for off in offsets:
            out.write(b"%010d 00000 n \n" % off)
        size = len(self.bodies) + 1
        out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, xref))
        return out.getvalue()


def write_pdf(
    path: str | Path,
    pages: Sequence[Sequence[str] | None],
    *,
    chinese: bool = False,
    image_pages: Sequence[int] = (),
    compress: bool = True,
    kerned: bool = False,
) -> Path:
    """A PDF whose page ``i + 1`` shows the lines ``pages[i]`` (None: a page with no text).

    ``chinese`` writes every page through the Type0/Identity-H font (any BMP text), otherwise
    Helvetica (cp1252 text). ``image_pages`` (1-based) also get a small grey image, so a PDF
    with images and no text is what a scan looks like. ``kerned`` writes Latin lines as word
    processors do, as ``TJ`` arrays with kerning inside words (more work for the extractor).
    """
    path = Path(path)
    pdf = _PdfObjects()
    catalog = pdf.reserve()
    pages_obj = pdf.reserve()
    used = {ord(ch) for lines in pages if lines for line in lines for ch in line}
    if chinese:
        if any(cp > 0xFFFF for cp in used):
            raise ValueError("only BMP characters")
        to_unicode = pdf.stream(_to_unicode_cmap(used), compress=compress)
        descriptor = pdf.add(
            b"<< /Type /FontDescriptor /FontName /SimSun /Flags 6 /FontBBox [0 -141 1000 859] "
            b"/ItalicAngle 0 /Ascent 859 /Descent -141 /CapHeight 683 /StemV 80 >>"
        )
        cid_font = pdf.add(
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun "
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            b"/FontDescriptor %d 0 R /DW 1000 /CIDToGIDMap /Identity >>" % descriptor
        )
        font = pdf.add(
            b"<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H "
            b"/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (cid_font, to_unicode)
        )
    else:
        font = pdf.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    image = None
    if image_pages:
        pixels = bytes(random.Random(1).randrange(256) for _ in range(64 * 64))
        image = pdf.stream(
            pixels,
            b" /Type /XObject /Subtype /Image /Width 64 /Height 64"
            b" /ColorSpace /DeviceGray /BitsPerComponent 8",
            compress=compress,
        )
    kids = []
    for number, lines in enumerate(pages, start=1):
        ops = []
        if image is not None and number in image_pages:
            ops.append(b"q 400 0 0 600 100 100 cm /Im0 Do Q")
        if lines:
            ops.append(b"BT /F1 10 Tf 14 TL 56 800 Td")
            for line in lines:
                if chinese:
                    ops.append(b"<" + line.encode("utf-16-be").hex().upper().encode() + b"> Tj T*")
                else:
                    ops.append(_kerned(line) if kerned else b"(" + _pdf_escape(line) + b") Tj T*")
            ops.append(b"ET")
        content = pdf.stream(b"\n".join(ops), compress=compress)
        resources = b"<< /Font << /F1 %d 0 R >>" % font
        if image is not None and number in image_pages:
            resources += b" /XObject << /Im0 %d 0 R >>" % image
        resources += b" >>"
        kids.append(
            pdf.add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources %s /Contents %d 0 R >>"
                % (pages_obj, resources, content)
            )
        )
    pdf.set(
        pages_obj,
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids)),
    )
    pdf.set(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj)
    path.write_bytes(pdf.write(catalog))
    return path


def _kerned(line: str) -> bytes:
    """``[(W) 30 (ord) ...] TJ``: each word's first letter kerned against the rest."""
    parts = []
    for word in line.split(" "):
        head, tail = word[:1], word[1:] + " "
        parts.append(b"(" + _pdf_escape(head) + b") 30 (" + _pdf_escape(tail) + b")")
    return b"[" + b" ".join(parts) + b"] TJ T*"


# The facts the retrieval tests look for, and the questions that should find them.
FACT_EN = "The launch code of Project Nightingale is AZURE-7741, kept in the northern vault."
QUESTION_EN = "What is the launch code for Project Nightingale?"
FACT_ZH = "夜莺计划的发射密码是蓝色七七四一，保存在北方的金库里。"
QUESTION_ZH = "夜莺计划的发射密码是什么？"


def write_fact_pdf(
    path: str | Path, *, n_pages: int = 60, fact_page: int = 37, chinese: bool = False, seed: int = 0
) -> Path:
    """``n_pages`` pages of filler with the fact on ``fact_page``, page numbers printed in each."""
    rng = random.Random(seed)
    pages: list[list[str]] = []
    for number in range(1, n_pages + 1):
        lines = chinese_filler_lines(rng, 30) if chinese else filler_lines(rng, 40)
        if number == fact_page:
            lines.insert(rng.randrange(len(lines)), FACT_ZH if chinese else FACT_EN)
        lines.append(f"— {number} —")
        pages.append(lines)
    return write_pdf(path, pages, chinese=chinese)


def write_encrypted_pdf(path: str | Path, *, user_password: str, owner_password: str = "owner") -> Path:
    """A PDF encrypted with AES-128; an empty ``user_password`` opens it without asking (restricted)."""
    from pypdf import PdfReader, PdfWriter

    plain = io.BytesIO()
    tmp = Path(path).with_suffix(".plain.pdf")
    write_pdf(tmp, [["Top secret quarterly numbers."], ["Second page of secrets."]])
    plain.write(tmp.read_bytes())
    tmp.unlink()
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-128")
    with open(path, "wb") as f:
        writer.write(f)
    return Path(path)


def write_docx(path: str | Path) -> Path:
    """A DOCX with a title, two heading levels, paragraphs and a table (3 × 3)."""
    import docx

    doc = docx.Document()
    doc.add_heading("Annual Report", level=0)
    doc.add_paragraph("This report covers the harbour authority's year.")
    doc.add_heading("Introduction", level=1)
    doc.add_paragraph("The harbour handled more ships than ever before.")
    doc.add_heading("Finances", level=1)
    doc.add_paragraph("Income rose while costs stayed flat.")
    table = doc.add_table(rows=3, cols=3)
    for r, row in enumerate([("Quarter", "Income", "Costs"), ("Q1", "120", "80"), ("Q2", "150", "82")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    doc.add_heading("Outlook", level=2)
    doc.add_paragraph("A second pier opens in spring; 中文段落也能提取。")
    doc.save(str(path))
    return Path(path)


def write_zip_bomb_docx(path: str | Path, *, uncompressed: int = 300 * 2**20) -> Path:
    """A ``.docx`` whose document.xml inflates from a few hundred KB to ``uncompressed`` bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            block = b"\0" * 2**20
            for _ in range(uncompressed // len(block)):
                f.write(block)
    return Path(path)


def truncate(path: str | Path, fraction: float = 0.5) -> Path:
    """Cut a file to ``fraction`` of its size, as an interrupted download leaves it."""
    path = Path(path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


# Word documents written as raw XML, for the hostile cases python-docx cannot be asked to build
# quickly: megabytes of markup, millions of runs, thousands of styles.
_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
    "</Types>"
)
_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="word/document.xml" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument"/></Relationships>'
)
_DOCUMENT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="styles.xml" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/styles"/></Relationships>'
)
_BASE_STYLES = (
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/>'
    '<w:basedOn w:val="Normal"/></w:style>'
    + "".join(
        f'<w:style w:type="paragraph" w:styleId="Heading{n}"><w:name w:val="heading {n}"/>'
        '<w:basedOn w:val="Normal"/></w:style>'
        for n in (1, 2, 3, 4)
    )
)


def write_raw_docx(path: str | Path, body: Iterable[str], *, styles: Iterable[str] = ()) -> Path:
    """A minimal valid DOCX (python-docx opens it) whose body is the XML strings of ``body``.

    ``styles``: more ``<w:style>`` elements after Normal, Title and Heading 1–4.
    """
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _PACKAGE_RELS)
        z.writestr("word/_rels/document.xml.rels", _DOCUMENT_RELS)
        with z.open("word/styles.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8"?><w:styles xmlns:w="{_W_NS}">'.encode())
            f.write(_BASE_STYLES.encode())
            for style in styles:
                f.write(style.encode())
            f.write(b"</w:styles>")
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W_NS}"><w:body>'.encode())
            for part in body:
                f.write(part.encode())
            f.write(b"</w:body></w:document>")
    return Path(path)


def word_paragraph(text: str, *, style: str = "", runs: int = 1, markup: int = 0, seed: int = 0) -> str:
    """``<w:p>`` with ``text`` split into ``runs`` runs, each carrying ``markup`` property elements
    and Word's revision ids (what a heavily edited document looks like)."""
    rng = random.Random(seed)
    ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    props = "".join(
        rng.choice(
            ("<w:b/>", "<w:i/>", '<w:sz w:val="24"/>', '<w:color w:val="1F3864"/>', '<w:lang w:val="en-GB"/>')
        )
        for _ in range(markup)
    )
    size = max(1, -(-len(text) // runs))
    parts = [text[i : i + size] for i in range(0, len(text), size)] or [""]
    out = [f'<w:p w:rsidR="{rng.getrandbits(32):08X}">{ppr}']
    for part in parts:
        rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
        out.append(
            f'<w:r w:rsidRPr="{rng.getrandbits(32):08X}">{rpr}<w:t xml:space="preserve">{part}</w:t></w:r>'
        )
    out.append("</w:p>")
    return "".join(out)


def write_markup_heavy_docx(path: str | Path, *, paragraphs: int, markup: int = 40, seed: int = 0) -> Path:
    """Ordinary sentences buried in run properties: ~30× more XML than text, compressing ~20×."""
    rng = random.Random(seed)
    body = (
        word_paragraph(line, runs=4, markup=markup, seed=rng.getrandbits(32))
        for line in (filler_lines(rng, 1)[0] for _ in range(paragraphs))
    )
    return write_raw_docx(path, body)


def write_tiny_runs_docx(path: str | Path, *, runs: int, runs_per_paragraph: int = 1000) -> Path:
    """``runs`` one-letter runs, ``runs_per_paragraph`` to a paragraph: little text, many elements."""
    rng = random.Random(0)
    letters = "abcdefghijklmnopqrstuvwxyz "

    def body() -> Iterator[str]:
        for start in range(0, runs, runs_per_paragraph):
            n = min(runs_per_paragraph, runs - start)
            runs_xml = "".join(f"<w:r><w:t>{rng.choice(letters)}</w:t></w:r>" for _ in range(n))
            yield f"<w:p>{runs_xml}</w:p>"

    return write_raw_docx(path, body())


def write_many_styles_docx(path: str | Path, *, styles: int, paragraphs: int = 300) -> Path:
    """``styles`` custom styles, each based on the one before (so none is a heading), and
    ``paragraphs`` paragraphs using the last ones: a style lookup per paragraph walks the chain."""
    defs = (
        f'<w:style w:type="paragraph" w:styleId="S{i}"><w:name w:val="Style {i}"/>'
        f'<w:basedOn w:val="{f"S{i - 1}" if i else "Normal"}"/></w:style>'
        for i in range(styles)
    )
    rng = random.Random(1)
    body = [
        word_paragraph(filler_lines(rng, 1)[0], style=f"S{styles - 1 - i % 10}") for i in range(paragraphs)
    ]
    body.insert(0, word_paragraph("Styled Chapter", style="Heading1"))
    return write_raw_docx(path, body, styles=defs)


def write_long_docx(path: str | Path, *, pages: int = 300, seed: int = 0) -> Path:
    """A report of about ``pages`` pages made with python-docx: a heading every 5 pages, 8
    paragraphs of ~60 words a page, in 4 runs each (some bold), and a 10 × 4 table every 10 pages."""
    import docx

    rng = random.Random(seed)
    doc = docx.Document()
    doc.add_heading("Long Report", level=0)
    for page in range(pages):
        if page % 5 == 0:
            doc.add_heading(f"Chapter {page // 5 + 1}", level=1 + page // 5 % 2)
        for _ in range(8):
            paragraph = doc.add_paragraph()
            for i, line in enumerate(filler_lines(rng, 4, 15)):
                paragraph.add_run(line + " ").bold = i == 2
        if page % 10 == 9:
            table = doc.add_table(rows=10, cols=4)
            for r in range(10):
                for c in range(4):
                    table.cell(r, c).text = f"{rng.choice(LOREM)} {r * 4 + c}"
    doc.save(str(path))
    return Path(path)
