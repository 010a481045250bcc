"""What a turn with attachments sends: the whole documents, or the passages that matter.

If the attached text fits the loaded context beside the conversation, with room left for
thinking and the answer, the model reads all of it: nothing can be missed. If it would fit
only in a longer context the model supports, :attr:`TurnContext.longer_context_tokens` says
how many tokens that context must hold, so the window can offer the YaRN reload
(``app.models.load_plan.context_for``); meanwhile, and otherwise, the turn uses retrieval:
the best-ranked chunks, as many as fit, best first.

Either way every block in the prompt is numbered and labelled ("[3] report.pdf, p. 37"), the
prompt asks the model to cite those numbers, and the same blocks come back as
:class:`Source` objects, best first, for the UI to show whatever the model writes.

Token counts come from ``count_tokens`` (the model's tokenizer where the caller has one, many
texts per call); the default is :func:`app.documents.tokens.estimate_tokens`, which
overestimates for Qwen3 but not for every tokenizer. :func:`fit_turn` then checks the prompt as it
will really be sent (template and all, ``Engine.count_prompt``) and, if it is too long, takes the
overflow off the budget and builds the turn again: the lowest-ranked passages go, the turn still
goes out. The room kept for thinking and the answer scales with the context
(:func:`answer_room`), so a small context still carries the best passages; when not even one
fits, :func:`build_turn` says so (a ``no_room`` :class:`DocumentError`) rather than answer
without the documents.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal, Protocol

from app.documents.document import Page
from app.documents.errors import DocumentError
from app.documents.retrieval import query_terms, rank_texts
from app.documents.tokens import TokenCounter, count_all, estimate_tokens
from app.models.load_plan import ANSWER_ROOM

Mode = Literal["none", "whole", "retrieval"]
MAX_CHUNKS = 8  # ~2,400 tokens of passages: enough for a fact and its neighbours, small beside 16K
BLOCK_MARGIN = 2  # tokens: a block tokenized alone vs. inside the prompt can differ at its edges
MIN_ANSWER_ROOM = 512  # the least room kept for the answer, however small the context
FIT_TRIES = 3  # rebuilds of a turn whose rendered prompt came out too long
FIT_MARGIN = 16  # tokens taken off the budget beyond the measured overflow, per rebuild
# Whole documents slow to read go by passages only when those take at most this share of the time.
SLOW_SAVING = 0.75

INSTRUCTION = (
    "Answer the question from these documents. Cite the numbered blocks you use in square brackets, "
    "like [1] or [2][3]. If they do not contain the answer, say so."
)
WHOLE_HEAD = "The user attached documents; their full text follows, one numbered block per page or section."
RETRIEVAL_HEAD = (
    "Passages from the user's attached documents, the most relevant first (the documents are longer; "
    "only these passages are shown here)."
)
FOLLOW_UP = (
    "{question}\n\n(Answer from the attached documents given earlier in this conversation, citing their "
    "numbered blocks like [1].)"
)


@dataclass(frozen=True)
class DocumentText:
    """An attachment's text as stored: its pages or sections in order."""

    name: str
    pages: tuple[Page, ...]
    attachment_id: int | None = None


@dataclass(frozen=True)
class Passage:
    """A chunk found by search; ``score`` is higher for better (None: not ranked)."""

    file: str
    page: int | None
    label: str
    start: int
    end: int
    text: str
    score: float | None = None
    attachment_id: int | None = None
    chunk_id: int | None = None


@dataclass(frozen=True)
class Source:
    """One numbered block of the prompt: where it comes from, and its text (to show on click)."""

    ref: int  # the [n] the prompt gives it
    file: str
    page: int | None  # 1-based page in the file; None for formats without pages
    label: str  # "p. 37", "§ Finances", "lines 1–40"
    chars: tuple[int, int]  # [start, end) within the page's (or section's, or file's) text
    score: float | None  # retrieval score, higher is better; None where nothing matched
    text: str
    attachment_id: int | None = None
    chunk_id: int | None = None

    @property
    def citation(self) -> str:
        return f"{self.file}, {self.label}" if self.label else self.file

    def to_json(self) -> dict[str, object]:
        """The CLI's ``sources`` item."""
        return {
            "ref": self.ref,
            "file": self.file,
            "page": self.page,
            "label": self.label,
            "chars": [self.chars[0], self.chars[1]],
            "score": None if self.score is None else round(self.score, 4),
        }


class DocumentLibrary(Protocol):
    """The attachments of one conversation, as the store (or a test) keeps them."""

    def documents(self) -> Sequence[DocumentText]:
        """The attached documents' full text, in the order they were attached."""
        ...

    def search(self, question: str, limit: int) -> Sequence[Passage]:
        """The best ``limit`` chunks for ``question``, best first."""
        ...

    def leading(self, limit: int) -> Sequence[Passage]:
        """The first chunks of the documents (for questions no keyword matches: "summarize this")."""
        ...


def answer_room(n_ctx: int, *, thinking_budget: int | None = None, max_tokens: int | None = None) -> int:
    """Tokens kept free after the prompt for thinking and the answer, scaled to the context.

    A quarter of the context, at least 512 and at most 4,096 tokens, plus the thinking budget
    when one is set; ``max_tokens`` (the most a turn may generate), where given, instead. Never
    more than half the context: the rest is the prompt's, so passages still fit (a 4,096-token
    context keeps 1,024 for the answer, not all of it).
    """
    if max_tokens is not None and max_tokens > 0:
        room = max_tokens
    else:
        room = min(ANSWER_ROOM, max(MIN_ANSWER_ROOM, n_ctx // 4)) + max(0, thinking_budget or 0)
    return max(1, min(room, n_ctx // 2))


@dataclass(frozen=True)
class LibrarySnapshot:
    """What :func:`build_turn` reads of a library for one question, read once: the window reads it on
    the thread that owns the store and builds the turn on the engine's (where the tokenizer is)."""

    texts: tuple[DocumentText, ...]
    hits: tuple[Passage, ...]
    first: tuple[Passage, ...]

    @classmethod
    def of(cls, library: DocumentLibrary, question: str, max_chunks: int = MAX_CHUNKS) -> LibrarySnapshot:
        hits = tuple(library.search(question, max_chunks))
        first = () if hits else tuple(library.leading(max_chunks))
        return cls(tuple(library.documents()), hits, first)

    def documents(self) -> Sequence[DocumentText]:
        return self.texts

    def search(self, question: str, limit: int) -> Sequence[Passage]:
        return self.hits[:limit]

    def leading(self, limit: int) -> Sequence[Passage]:
        return self.first[:limit]


@dataclass(frozen=True)
class ContextBudget:
    """The token room a turn has."""

    n_ctx: int  # the loaded context (LoadPlan.n_ctx)
    max_ctx: int | None = None  # the longest the model supports (LoadPlan.max_ctx); None: no reload
    history_tokens: int = 0  # system prompt and earlier turns as they will be sent, template included
    reserve_tokens: int = ANSWER_ROOM  # thinking and the answer; at least the thinking budget plus some
    # Seconds this machine takes to read N more prompt tokens after M (Engine.reading_seconds); with
    # read_limit_s, whole documents that would take longer to read go by retrieval instead.
    reading: Callable[[int, int], float | None] | None = None
    read_limit_s: float | None = None

    @property
    def available(self) -> int:
        return self.n_ctx - self.reserve_tokens - self.history_tokens


@dataclass(frozen=True)
class TurnContext:
    """What to send as the user's message this turn, and the sources to show under the answer."""

    mode: Mode
    prompt: str
    sources: tuple[Source, ...]  # best first
    prompt_tokens: int
    whole_tokens: int = 0  # what the prompt with the whole documents takes (0: no documents)
    # Set when the whole documents would fit only in a longer context: the tokens it must hold
    # besides the answer room (pass to context_for). The prompt is the retrieval one meanwhile.
    longer_context_tokens: int | None = None
    # Set when the whole documents fit but reading them would take longer than the limit: the
    # estimated seconds, for "Read the whole document instead (about 4 min)". Retrieval meanwhile.
    whole_reading_s: float | None = None


def build_turn(
    question: str,
    library: DocumentLibrary,
    budget: ContextBudget,
    *,
    count_tokens: TokenCounter = estimate_tokens,
    documents_in_history: bool = False,
    max_chunks: int = MAX_CHUNKS,
    read_whole: bool = False,
) -> TurnContext:
    """Decide whole documents or retrieval for ``question`` and build the prompt with its sources.

    ``documents_in_history``: an earlier turn of the history already holds these documents whole
    (and the history is sent as it was), so this turn only asks; its sources are the pages ranked
    for the new question. ``read_whole``: the user asked for the whole documents however long they
    take to read (they still have to fit).
    """
    documents = library.documents()
    if not documents:
        return TurnContext("none", question, (), count_tokens(question))
    whole = _whole_sources(documents, question)
    if documents_in_history:
        prompt = FOLLOW_UP.format(question=question)
        return TurnContext("whole", prompt, _best_first(whole), count_tokens(prompt))
    whole_prompt = _render(WHOLE_HEAD, whole, question)
    estimate = estimate_tokens(whole_prompt)
    # The real tokenizer is only worth asking near a limit (the loaded context, or the longest
    # one a reload could offer, which it must size exactly); far over both, the estimate decides.
    limit = budget.available
    if budget.max_ctx is not None:
        limit = max(limit, budget.max_ctx - budget.reserve_tokens - budget.history_tokens)
    whole_tokens = estimate if estimate > 2 * limit else count_tokens(whole_prompt)
    slow = None
    if whole_tokens <= budget.available:
        slow = None if read_whole else _too_slow(budget, whole_tokens)
        if slow is None:
            return TurnContext("whole", whole_prompt, _best_first(whole), whole_tokens, whole_tokens)
    longer = None
    if (
        slow is None
        and budget.max_ctx is not None
        and budget.history_tokens + whole_tokens + budget.reserve_tokens <= budget.max_ctx
    ):
        longer = budget.history_tokens + whole_tokens
    passages = list(library.search(question, max_chunks)) or list(library.leading(max_chunks))
    candidates = [_source(i + 1, passage) for i, passage in enumerate(passages)]
    # One call for the frame and every block: with the model's tokenizer, one round trip.
    frame, *costs = count_all(
        count_tokens, [_render(RETRIEVAL_HEAD, [], question)] + [_block(s) for s in candidates]
    )
    chosen: list[Source] = []
    used = frame
    for source, cost in zip(candidates, costs):
        if used + cost + BLOCK_MARGIN > budget.available:
            break
        chosen.append(source)
        used += cost + BLOCK_MARGIN
    if candidates and not chosen:
        raise _no_room(budget, frame + costs[0] + BLOCK_MARGIN)
    if slow is not None and used >= SLOW_SAVING * whole_tokens:  # the passages are nearly all of it
        return TurnContext("whole", whole_prompt, _best_first(whole), whole_tokens, whole_tokens)
    prompt = _render(RETRIEVAL_HEAD, chosen, question) if chosen else question
    return TurnContext("retrieval", prompt, tuple(chosen), used, whole_tokens, longer, slow)


def _too_slow(budget: ContextBudget, tokens: int) -> float | None:
    """The estimated seconds to read ``tokens`` after the history, when that is over the limit."""
    if budget.reading is None or budget.read_limit_s is None:
        return None
    seconds = budget.reading(tokens, budget.history_tokens)
    return seconds if seconds is not None and seconds > budget.read_limit_s else None


def fit_turn(
    question: str,
    library: DocumentLibrary,
    budget: ContextBudget,
    *,
    prompt_tokens: Callable[[str], int] | None = None,
    count_tokens: TokenCounter = estimate_tokens,
    documents_in_history: bool = False,
    max_chunks: int = MAX_CHUNKS,
    read_whole: bool = False,
) -> TurnContext:
    """:func:`build_turn`, checked against the prompt as it will be sent.

    ``prompt_tokens(user_message)``: the exact token count of the whole conversation rendered with
    this user message (``Engine.count_prompt``); None skips the check (a server's tokenizer cannot
    be asked). While that and the answer room overflow the context, the overflow is taken off the
    budget and the turn built again: whole documents become passages, and the lowest-ranked
    passages are dropped, so the turn goes out instead of failing for a budget chosen here. Raises
    DocumentError (``no_room``) when not even one passage fits.
    """

    def build(b: ContextBudget) -> TurnContext:
        return build_turn(
            question,
            library,
            b,
            count_tokens=count_tokens,
            documents_in_history=documents_in_history,
            max_chunks=max_chunks,
            read_whole=read_whole,
        )

    turn = build(budget)
    if prompt_tokens is None or turn.mode == "none" or documents_in_history:
        return turn  # a follow-up carries no documents: nothing here to shorten
    shrink = 0
    for attempt in range(FIT_TRIES + 1):
        over = prompt_tokens(turn.prompt) + budget.reserve_tokens - budget.n_ctx
        if over <= 0 or attempt == FIT_TRIES:
            break
        shrink += over + FIT_MARGIN
        turn = build(replace(budget, history_tokens=budget.history_tokens + shrink))
    return turn


def _no_room(budget: ContextBudget, needed: int) -> DocumentError:
    return DocumentError(
        "no_room",
        f"The attached documents do not fit: the loaded context holds {budget.n_ctx:,} tokens; the "
        f"conversation so far takes {budget.history_tokens:,} and the answer needs "
        f"{budget.reserve_tokens:,}, which leaves {max(0, budget.available):,} for the question and "
        f"its passages, and the question with the best passage needs {needed:,}. Start a new "
        "conversation, or load the model with a longer context.",
    )


def _whole_sources(documents: Sequence[DocumentText], question: str) -> list[Source]:
    sources: list[Source] = []
    for doc in documents:
        for page in doc.pages:
            sources.append(
                Source(
                    ref=len(sources) + 1,
                    file=doc.name,
                    page=page.number,
                    label=page.label,
                    chars=(0, len(page.text)),
                    score=None,
                    text=page.text,
                    attachment_id=doc.attachment_id,
                )
            )
    ranked = rank_texts(query_terms(question), [s.text for s in sources])
    scored = list(sources)
    for index, score in ranked:
        s = sources[index]
        scored[index] = Source(s.ref, s.file, s.page, s.label, s.chars, score, s.text, s.attachment_id)
    return scored


def _best_first(sources: list[Source]) -> tuple[Source, ...]:
    """Ranked pages first (highest score), then the rest in document order."""
    return tuple(sorted(sources, key=lambda s: (s.score is None, -(s.score or 0.0), s.ref)))


def _source(ref: int, p: Passage) -> Source:
    return Source(
        ref, p.file, p.page, p.label, (p.start, p.end), p.score, p.text, p.attachment_id, p.chunk_id
    )


def carries_whole_documents(prompt: str) -> bool:
    """Whether a user message, as sent, was a whole-documents prompt built here."""
    return prompt.startswith(WHOLE_HEAD)


def _block(source: Source) -> str:
    return f"[{source.ref}] {source.citation}\n{source.text.strip()}"


def _render(head: str, sources: Sequence[Source], question: str) -> str:
    blocks = "\n\n".join(_block(s) for s in sources)
    return f"{head}\n\n<documents>\n{blocks}\n</documents>\n\n{INSTRUCTION}\n\nQuestion: {question}"
