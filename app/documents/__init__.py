"""Document Q&A, headless: files → text → chunks → the prompt of a turn, with its sources.

No Qt and no database here (the store keeps attachments and the chunk index): extraction runs
in a worker thread, and the CLI and the window build their turns with the same code.

* :func:`prepare_attachment` / :func:`extract`: a file's text page by page, or a
  :class:`DocumentError` saying why not;
* :func:`chunk_document`: overlapping chunks of a few hundred tokens, one page each;
* :func:`query_terms` / :func:`fts_query` / :func:`rank_texts`: the keyword ranking;
* :func:`build_turn`: whole documents or retrieval, the prompt, and the :class:`Source` list;
  :func:`fit_turn` checks it against the prompt as sent; :func:`answer_room` sizes the answer's room.
"""

from __future__ import annotations

from app.documents.chunking import Chunk, chunk_document
from app.documents.context import (
    ContextBudget,
    DocumentLibrary,
    DocumentText,
    LibrarySnapshot,
    Passage,
    Source,
    TurnContext,
    answer_room,
    build_turn,
    fit_turn,
)
from app.documents.document import ExtractedDocument, Page
from app.documents.errors import KINDS, DocumentError
from app.documents.extraction import SUPPORTED, extract
from app.documents.limits import DEFAULT_LIMITS, Limits, human_size
from app.documents.prepare import PreparedAttachment, prepare_attachment
from app.documents.retrieval import fts_query, query_terms, rank_texts
from app.documents.tokens import ModelTokens, count_all, estimate_tokens

__all__ = [
    "DEFAULT_LIMITS",
    "KINDS",
    "SUPPORTED",
    "Chunk",
    "ContextBudget",
    "DocumentError",
    "DocumentLibrary",
    "DocumentText",
    "ExtractedDocument",
    "LibrarySnapshot",
    "Limits",
    "ModelTokens",
    "Page",
    "Passage",
    "PreparedAttachment",
    "Source",
    "TurnContext",
    "answer_room",
    "build_turn",
    "chunk_document",
    "count_all",
    "estimate_tokens",
    "extract",
    "fit_turn",
    "fts_query",
    "human_size",
    "prepare_attachment",
    "query_terms",
    "rank_texts",
]
