"""Why a file could not become an attachment, in words for the user and a kind for code.

Every failure of extraction is a :class:`DocumentError`: the chat window shows ``message`` on
the file's chip and carries on, the CLI prints it (or an ``{"event": "error"}`` line) and
exits 1. ``kind`` is stable, for tests and for the UI to pick an icon or a hint. A turn whose
context has no room for even one passage is one too (``no_room``), said on the answer instead
of answering without the documents.
"""

from __future__ import annotations

from typing import Literal

ErrorKind = Literal[
    "not_found",  # the path does not exist or is not a readable file
    "unsupported",  # a kind of file QwenDesk does not read (images, archives, .doc, …)
    "too_large",  # over the size limit (file bytes or extracted text)
    "zip_bomb",  # a DOCX whose parts would inflate far beyond any real document
    "encrypted",  # a password-protected PDF
    "no_text_layer",  # a PDF of scanned images: nothing to extract without OCR
    "corrupt",  # damaged or truncated: the format's parser gave up
    "binary",  # binary content behind a text extension
    "empty",  # a readable file with no text in it
    "no_room",  # a turn: not even one passage fits the context beside the conversation and the answer
]
KINDS: tuple[ErrorKind, ...] = (
    "not_found",
    "unsupported",
    "too_large",
    "zip_bomb",
    "encrypted",
    "no_text_layer",
    "corrupt",
    "binary",
    "empty",
    "no_room",
)


class DocumentError(Exception):
    """A file that cannot be attached; ``message`` names the file and says why."""

    def __init__(self, kind: ErrorKind, message: str, *, file: str = "") -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message
        self.file = file

    def to_json(self) -> dict[str, object]:
        """The CLI's error line, shaped like the engine's (``app.backend.errors``)."""
        return {"event": "error", "kind": self.kind, "message": self.message, "file": self.file}

    def __repr__(self) -> str:
        return f"DocumentError({self.kind!r}, {self.message!r})"
