"""Limits that keep a hostile or huge file from taking the app down.

Checked before anything is parsed: the file size from ``stat``; for DOCX (a zip) the sizes the
zip's central directory declares, so a zip bomb is refused before a byte is inflated. Python's
``zipfile`` never inflates a member beyond its declared size, so checking the declarations is
enough. The defaults are far above real documents (a 1,000-page report is a few MB of text).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from app.documents.errors import DocumentError

MiB = 2**20


@dataclass(frozen=True)
class Limits:
    """What one attachment may be; tests shrink them to exercise the refusals."""

    max_file_bytes: int = 100 * MiB  # scanned PDFs are big but refused anyway; text PDFs rarely pass 20 MB
    max_text_chars: int = 20_000_000  # ~5M tokens: far beyond any context, and still quick to index
    max_zip_uncompressed: int = 200 * MiB  # a DOCX's parts together, inflated
    max_zip_ratio: float = 100.0  # inflated ÷ compressed, per member (XML compresses ~10×, 50× at most)
    max_zip_members: int = 10_000
    # DOCX: what the XML may make the parser do, so that any DOCX within them is read in under
    # ~10 s on 2 cores (a 300-page report: ~10,000 paragraphs, ~60,000 runs, ~5 MB of XML).
    max_docx_xml_bytes: int = 64 * MiB  # word/document.xml inflated, from the zip directory
    max_docx_block_bytes: int = 16 * MiB  # the markup of one paragraph or table row, held in memory
    max_docx_paragraphs: int = 400_000
    max_docx_runs: int = 2_000_000
    max_docx_cells: int = 250_000
    max_docx_styles: int = 50_000


DEFAULT_LIMITS = Limits()


def human_size(n: int) -> str:
    """``1536`` → ``"1.5 KB"``: for chips and error messages."""
    if n < 1024:
        return f"{n:,} bytes"
    value = float(n)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:,.1f} {unit}"


def check_file_size(path: Path, size: int, limits: Limits) -> None:
    if size > limits.max_file_bytes:
        raise DocumentError(
            "too_large",
            f"{path.name} is {human_size(size)}; attachments may be at most "
            f"{human_size(limits.max_file_bytes)}.",
            file=path.name,
        )


def check_text_size(name: str, chars: int, limits: Limits) -> None:
    if chars > limits.max_text_chars:
        raise DocumentError(
            "too_large",
            f"{name} holds more than {limits.max_text_chars:,} characters of text; "
            "split it into smaller files.",
            file=name,
        )


def check_docx_xml(name: str, document: zipfile.ZipInfo, limits: Limits) -> None:
    """Refuse a DOCX whose body's XML is more than can be parsed in the time a document may take."""
    if document.file_size > limits.max_docx_xml_bytes:
        raise DocumentError(
            "too_large",
            f"{name} holds {human_size(document.file_size)} of text markup (word/document.xml); "
            f"documents may hold at most {human_size(limits.max_docx_xml_bytes)} — split it into "
            "smaller files.",
            file=name,
        )


def check_zip(name: str, archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse a zip whose central directory promises more than a document could hold."""
    infos = archive.infolist()
    if len(infos) > limits.max_zip_members:
        raise DocumentError(
            "zip_bomb", f"{name} has {len(infos):,} parts inside; no document has that many.", file=name
        )
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MiB and ratio > limits.max_zip_ratio:
            raise DocumentError(
                "zip_bomb",
                f"{name} looks like a zip bomb: its part {info.filename} would inflate "
                f"{ratio:,.0f}× to {human_size(info.file_size)}.",
                file=name,
            )
    if total > limits.max_zip_uncompressed:
        raise DocumentError(
            "zip_bomb",
            f"{name} would inflate to {human_size(total)}, more than the "
            f"{human_size(limits.max_zip_uncompressed)} a document may unpack to.",
            file=name,
        )
