"""A turn's documents joined to its question on the engine's thread, right before it answers.

The window reads the attachments from its store (a :class:`LibrarySnapshot`), then hands the
engine's thread a ``prepare`` step: there, with the model loaded by then, the documents are
counted with its tokenizer and checked against the prompt as sent (:func:`fit_turn`); for a
server (no local engine), with the estimate and the server's context. Nothing here blocks the
window, and nothing here needs Qt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from app.backend.errors import NoModelError
from app.backend.protocol import ChatMessage, GenerationRequest
from app.documents.context import ContextBudget, LibrarySnapshot, TurnContext, answer_room, fit_turn
from app.documents.tokens import ModelTokens, estimate_tokens, history_tokens

if TYPE_CHECKING:
    from app.backend.engine import Engine

Prepare = Callable[["Engine | None"], tuple[GenerationRequest, TurnContext]]
READ_LIMIT_S = 60.0  # whole documents that take longer to read here go by retrieval (a setting)


@dataclass(frozen=True)
class DocumentTurn:
    """The last question's documents, read from the store, to be joined to it by :func:`preparer`."""

    question_id: int
    question: str
    library: LibrarySnapshot
    in_history: bool  # an earlier question, sent as it was, carried them whole
    read_whole: bool = False  # the user asked for the whole documents, however long they take to read


def preparer(
    request: GenerationRequest,
    documents: DocumentTurn,
    *,
    remote_ctx: int,
    count_tokens: Callable[[str], int] | None = None,
    read_limit_s: float | None = READ_LIMIT_S,
) -> Prepare:
    """The engine-thread step that puts ``documents`` into ``request``'s last message.

    ``remote_ctx``: the context to budget for when no local engine answers; ``count_tokens``
    replaces the model's tokenizer (tests); ``read_limit_s``: whole documents that this machine
    would take longer to read go by retrieval, with the estimate in ``TurnContext.whole_reading_s``
    (None: no limit; a server's speed is not known, so it has none).
    """

    def with_question(text: str) -> GenerationRequest:
        return replace(request, messages=(*request.messages[:-1], ChatMessage("user", text)))

    def prepare(engine: Engine | None) -> tuple[GenerationRequest, TurnContext]:
        measure: Callable[[str], int] | None = None
        reading: Callable[[int, int], float | None] | None = None
        if engine is None:
            n_ctx, max_ctx = remote_ctx, None
            count: Callable[[str], int] = count_tokens or estimate_tokens
        else:
            model = engine.loaded_model
            if model is None:
                raise NoModelError("No model is loaded: choose a model first.")
            n_ctx, max_ctx = model.plan.n_ctx, model.plan.max_ctx
            count = count_tokens or ModelTokens(engine.count_tokens)

            def measure(text: str) -> int:
                return engine.count_prompt(with_question(text))

            reading = engine.reading_seconds

        budget = ContextBudget(
            n_ctx=n_ctx,
            max_ctx=max_ctx,
            history_tokens=history_tokens(count, [m.content for m in request.messages[:-1]]),
            reserve_tokens=answer_room(
                n_ctx, thinking_budget=request.thinking_budget, max_tokens=request.max_tokens
            ),
            reading=reading,
            read_limit_s=read_limit_s,
        )
        turn = fit_turn(
            documents.question,
            documents.library,
            budget,
            count_tokens=count,
            prompt_tokens=measure,
            documents_in_history=documents.in_history,
            read_whole=documents.read_whole,
        )
        return with_question(turn.prompt), turn

    return prepare
