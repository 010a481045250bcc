"""One file in, its text out: the kind is chosen from the name, checked against the content.

:func:`extract` is what a worker thread calls for each dropped file: pure (no database, no
Qt), with a ``progress`` callback, and every failure a :class:`DocumentError` the caller can
show. The extension says what the user expects; the first bytes must agree (a ``.pdf`` must
start like a PDF, a ``.docx`` like a zip), and a file with an unknown extension is read as
text only if it decodes as text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from app.documents.document import ExtractedDocument, Page
from app.documents.docx_text import docx_pages
from app.documents.errors import DocumentError
from app.documents.html_text import declared_charset, html_pages
from app.documents.limits import DEFAULT_LIMITS, Limits, check_file_size, check_text_size
from app.documents.markdown_text import markdown_pages
from app.documents.pdf import pdf_pages
from app.documents.text_file import decode_text

Progress = Callable[[float], None]

PDF = frozenset({".pdf"})
DOCX = frozenset({".docx"})
HTML = frozenset({".html", ".htm", ".xhtml"})
MARKDOWN = frozenset({".md", ".markdown", ".mdown", ".mkd"})
CSV = frozenset({".csv", ".tsv"})
TEXT = frozenset(
    {
        ".txt", ".text", ".log", ".rst", ".org", ".adoc", ".tex", ".bib", ".srt", ".vtt",
        ".ini", ".cfg", ".conf", ".toml", ".yaml", ".yml", ".json", ".jsonl", ".xml", ".env",
    }
)  # fmt: skip
CODE = frozenset(
    {
        ".py", ".pyi", ".ipynb", ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".cs", ".java",
        ".kt", ".kts", ".scala", ".groovy", ".gradle", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx",
        ".vue", ".svelte", ".go", ".rs", ".rb", ".php", ".swift", ".m", ".mm", ".dart", ".lua", ".pl",
        ".pm", ".r", ".jl", ".hs", ".ml", ".mli", ".ex", ".exs", ".erl", ".clj", ".zig", ".nim",
        ".sh", ".bash", ".zsh", ".fish", ".ps1", ".bat", ".cmd", ".sql", ".css", ".scss", ".less",
        ".cmake", ".mk", ".proto", ".graphql", ".tf", ".qml", ".asm", ".s", ".f90", ".v", ".sv",
    }
)  # fmt: skip
CODE_NAMES = frozenset({"makefile", "dockerfile", "cmakelists.txt", "readme", "license", "changelog"})
# Formats people will try, with a hint where there is a way in.
UNSUPPORTED_HINTS = {
    ".doc": "the old Word format is not supported: save it as .docx",
    ".rtf": "RTF is not supported: save it as .docx or plain text",
    ".odt": "OpenDocument text is not supported: save it as .docx",
    ".pptx": "PowerPoint files are not supported: export them as PDF",
    ".ppt": "PowerPoint files are not supported: export them as PDF",
    ".xlsx": "Excel files are not supported: save the sheet as CSV",
    ".xls": "Excel files are not supported: save the sheet as CSV",
    ".epub": "e-books are not supported",
}
IMAGES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".heic", ".svg"})
SUPPORTED = PDF | DOCX | HTML | MARKDOWN | CSV | TEXT | CODE


def extract(
    path: str | Path, *, progress: Progress | None = None, limits: Limits = DEFAULT_LIMITS
) -> ExtractedDocument:
    """Read ``path`` and return its text page by page; raises DocumentError.

    ``progress`` gets the fraction done (0 to 1), per page for PDFs; an exception raised by it
    stops the extraction and propagates (a way to cancel).
    """
    path = Path(path)
    name = path.name
    try:
        if not path.is_file():
            why = f"{name} is a folder, not a file." if path.is_dir() else f"{path} does not exist."
            raise DocumentError("not_found", why, file=name)
        size = path.stat().st_size
        check_file_size(path, size, limits)
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError("not_found", f"{name} cannot be read: {exc.strerror or exc}.", file=name) from exc
    suffix = path.suffix.lower()
    sha256 = hashlib.sha256(data).hexdigest()
    warnings: tuple[str, ...] = ()
    page_count: int | None = None
    encoding: str | None = None

    kind = _kind(name, suffix, data)
    if kind == "pdf":
        pages, page_count, warnings = pdf_pages(data, name, progress)
    elif kind == "docx":
        pages = docx_pages(data, name, limits)
    elif kind == "html":
        text, encoding = _decode_html(data, name)
        pages = html_pages(text)
    else:
        text, encoding = decode_text(data, name)
        pages = markdown_pages(text) if kind == "markdown" else [Page(None, text)] if text.strip() else []
    if not any(p.text.strip() for p in pages):
        raise DocumentError("empty", f"{name} has no text in it.", file=name)
    document = ExtractedDocument(
        name=name,
        kind=kind,
        size=size,
        sha256=sha256,
        pages=tuple(pages),
        page_count=page_count,
        encoding=encoding,
        warnings=warnings,
    )
    check_text_size(name, document.chars, limits)
    if progress is not None:
        progress(1.0)
    return document


def _kind(name: str, suffix: str, data: bytes) -> str:
    """The format to read ``data`` as, from its name, checked against its first bytes."""
    head = data[:1024]
    is_pdf = b"%PDF-" in head
    is_zip = data.startswith(b"PK\x03\x04")
    if suffix in PDF:
        if not is_pdf:
            raise DocumentError("corrupt", f"{name} is not a PDF (it does not start like one).", file=name)
        return "pdf"
    if suffix in DOCX:
        if not is_zip:
            raise DocumentError(
                "corrupt", f"{name} is not a Word document (a .docx is a zip file; this is not).", file=name
            )
        return "docx"
    if suffix in HTML:
        return "html"
    if suffix in MARKDOWN:
        return "markdown"
    if suffix in CSV:
        return "csv"
    if suffix in CODE:
        return "code"
    if suffix in TEXT or name.lower() in CODE_NAMES:
        return "text"
    if suffix in UNSUPPORTED_HINTS:
        raise DocumentError("unsupported", f"{name}: {UNSUPPORTED_HINTS[suffix]}.", file=name)
    if suffix in IMAGES:
        raise DocumentError(
            "unsupported", f"{name} is an image; reading text from images (OCR) is not supported.", file=name
        )
    # An unknown name: go by the content.
    if is_pdf:
        return "pdf"
    if is_zip and b"word/" in data[:4096]:
        return "docx"
    try:
        decode_text(data[:65536], name)
    except DocumentError as exc:
        raise DocumentError(
            "unsupported",
            f"{name} is not a kind of file QwenDesk can read (supported: PDF, DOCX, HTML, Markdown, "
            "text, CSV and source code).",
            file=name,
        ) from exc
    return "text"


def _decode_html(data: bytes, name: str) -> tuple[str, str]:
    declared = declared_charset(data)
    if declared:
        codec = "gb18030" if declared in ("gb2312", "gbk", "gb18030", "x-gbk") else declared
        try:
            return data.decode(codec), codec
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration is common: detect instead
    return decode_text(data, name)
