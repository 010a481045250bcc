"""The worker-thread half of attaching a file: extract it and cut it into chunks.

Both steps are pure and CPU-bound, so the window runs :func:`prepare_attachment` off the UI
thread; storing the result (:meth:`app.store.ChatStore.add_attachment`, one transaction) is
quick and happens on the thread that owns the database connection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.documents.chunking import Chunk, chunk_document
from app.documents.document import ExtractedDocument
from app.documents.extraction import extract
from app.documents.limits import DEFAULT_LIMITS, Limits

EXTRACT_SHARE = 0.9  # of the progress bar; chunking is the rest


@dataclass(frozen=True)
class PreparedAttachment:
    document: ExtractedDocument
    chunks: tuple[Chunk, ...]


def prepare_attachment(
    path: str | Path, *, progress: Callable[[float], None] | None = None, limits: Limits = DEFAULT_LIMITS
) -> PreparedAttachment:
    """Extract and chunk ``path``; raises DocumentError. ``progress`` gets 0 to 1."""
    on_extract = None if progress is None else (lambda f: progress(f * EXTRACT_SHARE))
    document = extract(path, progress=on_extract, limits=limits)
    chunks = tuple(chunk_document(document))
    if progress is not None:
        progress(1.0)
    return PreparedAttachment(document, chunks)
