"""PDF text with pypdf, page by page, with the page numbers a source cites.

pypdf is pure Python (nothing to build for the desktop bundles), reads damaged files
leniently, and decrypts the common "restricted" PDFs, which are encrypted with an empty user
password (AES ones need its ``cryptography`` extra). A PDF that wants a password, a scan
with no text layer, and a file pypdf cannot parse at all each get their own
:class:`DocumentError`; a few unreadable pages only get a warning.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import Any

from app.documents.document import Page
from app.documents.errors import DocumentError

log = logging.getLogger("qwendesk.documents")
# pypdf logs how it recovers from every damaged file it meets; QwenDesk reports its own error.
logging.getLogger("pypdf").setLevel(logging.ERROR)

Progress = Callable[[float], None]


def pdf_pages(
    data: bytes, name: str, progress: Progress | None = None
) -> tuple[list[Page], int, tuple[str, ...]]:
    """``(pages with text, pages in the file, warnings)`` for the PDF in ``data``."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # restricted PDFs open with an empty user password
            except DependencyError as exc:
                raise DocumentError(
                    "encrypted",
                    f"{name} is encrypted with a method this installation cannot decrypt ({exc}).",
                    file=name,
                ) from exc
            if not opened:
                raise DocumentError(
                    "encrypted",
                    f"{name} is password-protected. Open it in a PDF viewer and save or print it "
                    "as a PDF without a password, then attach that.",
                    file=name,
                )
        n_pages = len(reader.pages)
    except DocumentError:
        raise
    except FileNotDecryptedError as exc:
        raise DocumentError("encrypted", f"{name} is password-protected.", file=name) from exc
    except Exception as exc:  # pypdf raises PdfReadError, but also ValueError, KeyError, zlib.error…
        raise _corrupt(name, exc) from exc
    if n_pages == 0:
        raise DocumentError("empty", f"{name} has no pages.", file=name)

    pages: list[Page] = []
    failed: list[int] = []
    images_only: list[int] = []
    for index in range(n_pages):
        number = index + 1
        try:
            page = reader.pages[index]
            text = _clean(page.extract_text())
        except Exception as exc:  # one broken page should not lose the other 299
            log.info("%s: page %d unreadable: %s", name, number, exc)
            failed.append(number)
        else:
            if text.strip():
                pages.append(Page(number, text, f"p. {number}"))
            elif _has_images(page):
                images_only.append(number)
        if progress is not None:
            progress(number / n_pages)
    if not pages:
        if len(failed) == n_pages:
            raise DocumentError(
                "corrupt", f"{name} is damaged: none of its {n_pages} pages could be read.", file=name
            )
        if images_only:
            raise DocumentError(
                "no_text_layer",
                f"{name} has no text layer — OCR is not supported (it looks like a scan: its pages "
                "are images).",
                file=name,
            )
        raise DocumentError("empty", f"{name} has no text in it.", file=name)
    warnings = []
    if images_only:
        warnings.append(f"{_pages(images_only)} only images (no text layer); their content is left out.")
    if failed:
        warnings.append(f"{_pages(failed)} could not be read (damaged).")
    return pages, n_pages, tuple(warnings)


def _clean(text: str) -> str:
    # NULs and lone surrogates come from broken font maps; SQLite and the tokenizer want neither.
    text = text.replace("\x00", "").strip()
    return text.encode("utf-8", "replace").decode("utf-8") if not text.isascii() else text


def _has_images(page: Any) -> bool:
    """Whether the page draws an image XObject (directly or inside a form): what a scan does."""
    try:
        return _xobjects_have_images(page.get("/Resources"), depth=0)
    except Exception:
        return False


def _xobjects_have_images(resources: Any, depth: int) -> bool:
    if resources is None or depth > 3:
        return False
    xobjects = resources.get_object().get("/XObject")
    if xobjects is None:
        return False
    for ref in xobjects.get_object().values():
        obj = ref.get_object()
        subtype = obj.get("/Subtype")
        if subtype == "/Image":
            return True
        if subtype == "/Form" and _xobjects_have_images(obj.get("/Resources"), depth + 1):
            return True
    return False


def _pages(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10]) + (", …" if len(numbers) > 10 else "")
    return f"Page {shown} has" if len(numbers) == 1 else f"{len(numbers)} pages ({shown}) have"


def _corrupt(name: str, exc: BaseException) -> DocumentError:
    return DocumentError(
        "corrupt", f"{name} is damaged or truncated and cannot be read as a PDF ({exc}).", file=name
    )
