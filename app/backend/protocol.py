"""What crosses the process boundary between the engine and its worker.

Commands go parent → worker over a ``multiprocessing`` pipe; events come back
the same way. Cancel is the one exception: the worker spends its time inside
llama.cpp where it cannot read a pipe, so cancel is a shared flag that the
worker polls between tokens and that llama.cpp's abort callback polls during
prompt evaluation. The stage the worker is in is shared the same way, so that
it can still be read after the worker died.

All classes are plain frozen dataclasses: picklable under the spawn start
method, easy to print as JSON.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class Stage(enum.IntEnum):
    """What the worker is doing; written to shared memory before each step."""

    IDLE = 0
    STARTING = 1
    LOADING = 2
    PROMPT_EVAL = 3
    DECODING = 4

    @property
    def label(self) -> str:
        return {
            Stage.IDLE: "idle",
            Stage.STARTING: "start-up",
            Stage.LOADING: "loading",
            Stage.PROMPT_EVAL: "prompt evaluation",
            Stage.DECODING: "decoding",
        }[self]


# --------------------------------------------------------------------- requests


@dataclass(frozen=True)
class ToolCallRequest:
    """A call the model asked for (in an assistant turn)."""

    id: str  # unique within the turn: "call_1", "call_2", …
    name: str
    arguments: dict[str, Any]  # the parsed JSON object ({} when it could not be parsed)
    raw: str = ""  # the JSON as the model wrote it
    error: str | None = None  # why it could not be parsed: such a call is not run, the model is told


@dataclass(frozen=True)
class ChatMessage:
    """One turn of a conversation. Assistant turns hold the final answer (and, within the current
    tool-using turn, the reasoning and the calls they asked for); tool turns hold one result."""

    role: str  # "system" | "user" | "assistant" | "tool"
    content: str
    reasoning: str = ""  # assistant: sent back only for steps of the current tool-using turn
    tool_calls: tuple[ToolCallRequest, ...] = ()  # assistant
    tool_call_id: str | None = None  # tool: which call this answers
    name: str | None = None  # tool: the tool's name


@dataclass(frozen=True)
class Sampling:
    """Per-request sampling overrides; ``None`` means the mode's Qwen preset."""

    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    min_p: float | None = None
    presence_penalty: float | None = None
    seed: int | None = None


@dataclass(frozen=True)
class SamplingParams:
    """Fully resolved sampling values, as the worker uses them."""

    temperature: float
    top_p: float
    top_k: int
    min_p: float
    presence_penalty: float = 0.0
    seed: int | None = None


@dataclass(frozen=True)
class GenerationRequest:
    """What a caller asks the engine for: one assistant turn."""

    messages: tuple[ChatMessage, ...]
    enable_thinking: bool = True
    thinking_budget: int | None = None
    max_tokens: int | None = None
    sampling: Sampling = field(default_factory=Sampling)
    # OpenAI form: {"type": "function", "function": {"name", "description", "parameters"}}
    tools: tuple[dict[str, Any], ...] = ()
    # A stable name for the conversation (the window: its id): the local engine keeps the conversation's
    # KV cache under it, in memory and on disk, so coming back to it later re-reads only what is new.
    # None: kept in memory only and found by its token prefix (the API server, the CLI).
    cache_key: str | None = None


# --------------------------------------------------------------------- commands


@dataclass(frozen=True)
class LoadPlanCommand:
    """Load a model; ``plan`` is a :class:`app.models.load_plan.LoadPlan`."""

    plan: object
    fault: str | None = None
    measure_tokens: int = 0  # evaluate this many tokens after loading: this machine's prompt speed


Pieces = tuple[tuple[bool, str], ...]  # (the template's own text?, text): see chat_template.PromptPieces


@dataclass(frozen=True)
class StateKeeping:
    """Where and how much of conversations' KV cache the worker keeps (``app.backend.kept_states``).

    ``directory`` None: memory only. ``disk_bytes`` None: the default cap, min(8 GiB, 10 % of the
    disk's free space). ``persist_unkeyed``: states of requests without a cache key go to disk too
    (the CLI, whose next run is another process); otherwise those stay in memory.
    """

    enabled: bool = True
    directory: str | None = None
    ram_bytes: int = 2 << 30
    disk_bytes: int | None = None
    persist_unkeyed: bool = False
    unkeyed_entries: int = 4  # prefix-found states kept in memory (llama-server's prompt cache)


@dataclass(frozen=True)
class GenerateCommand:
    """Generate from an already rendered prompt, given as pieces: only the template's own pieces
    may hold control tokens; the messages' text is tokenized as plain text."""

    pieces: Pieces
    sampling: SamplingParams
    max_tokens: int | None
    thinking_budget: int | None
    budget_message: str
    starts_in_reasoning: bool
    cache_key: str | None = None
    keeping: StateKeeping = field(default_factory=StateKeeping)
    forget: tuple[str, ...] = ()  # cache keys whose kept states go (their conversations were deleted)
    keep_generated: bool = False  # a tool round: the next request goes on from the generated tokens

    @property
    def prompt(self) -> str:
        return "".join(text for _, text in self.pieces)


@dataclass(frozen=True)
class CountTokensCommand:
    """Count the tokens of many texts in one round trip (a document's chunks, a history).

    ``texts`` are plain text: text from people and files never becomes a control token, whatever
    it spells. ``prompts`` are rendered chat prompts (as pieces), counted exactly as generation
    tokenizes them (the template's special tokens, BOS where the model wants one).
    """

    texts: tuple[str, ...] = ()
    prompts: tuple[Pieces, ...] = ()


@dataclass(frozen=True)
class UnloadCommand:
    pass


@dataclass(frozen=True)
class ShutdownCommand:
    pass


Command = LoadPlanCommand | GenerateCommand | CountTokensCommand | UnloadCommand | ShutdownCommand


# ----------------------------------------------------------------------- events


@dataclass(frozen=True)
class Reasoning:
    """A piece of the model's thinking (inside ``<think>…</think>``)."""

    text: str


@dataclass(frozen=True)
class Answer:
    """A piece of the final answer."""

    text: str


@dataclass(frozen=True)
class Notice:
    """Something the user should know that is not an error (e.g. a self-heal)."""

    text: str
    code: str = "info"


@dataclass(frozen=True)
class ToolCall:
    """A complete call in the answer (never one written inside the reasoning)."""

    call: ToolCallRequest


@dataclass(frozen=True)
class PromptProgress:
    """Prompt evaluation under way: ``done`` of the ``total`` tokens this turn evaluates, sent before
    the first batch and after each one; ``cached`` more came from the KV cache (kept or warm)."""

    done: int
    total: int
    cached: int = 0
    stage: str = "prompt"


@dataclass(frozen=True)
class Done:
    """The end of one turn, with its counts and timings."""

    # "stop" | "length" | "budget" | "cancelled" | "tool_calls" (the answer asked for calls: the caller
    # runs them and generates again with the results)
    finish_reason: str
    prompt_tokens: int
    evaluated_prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    ttft_s: float | None
    decode_tokens_per_s: float | None
    thinking_budget_hit: bool = False
    thought: bool = False  # the model actually produced reasoning (the mode it used)
    reasoning_unclosed: bool = False
    prompt_eval_s: float | None = None  # the worker's time evaluating the prompt (its speed, learned)
    restored_tokens: int = 0  # prompt tokens that came from a kept state (memory or disk), not evaluated
    restored_from: str = ""  # "memory" | "disk" | "" (none restored: warm context or a full read)


StreamEvent = Reasoning | Answer | Notice | ToolCall | PromptProgress | Done
_EVENT_NAMES = {"ToolCall": "tool_call", "PromptProgress": "progress"}


def event_to_json(event: StreamEvent) -> dict[str, object]:
    """The CLI's ``--json`` shape: ``{"event": "answer", "text": …}``, ``{"event": "tool_call", …}``,
    ``{"event": "progress", "stage": "prompt", "done": N, "total": M, …}``."""
    cls = type(event).__name__
    return {"event": _EVENT_NAMES.get(cls, cls.lower()), **asdict(event)}


# ------------------------------------------------------- worker → parent only


@dataclass(frozen=True)
class Hello:
    """Sent once when the worker is up: what this llama.cpp build can do."""

    llama_cpp_version: str
    supports_gpu_offload: bool
    system_info: str


@dataclass(frozen=True)
class Loaded:
    """A model is loaded and ready."""

    n_ctx: int
    n_vocab: int
    think_open_id: int | None
    think_close_id: int | None
    load_s: float
    use_extra_bufts: bool = True  # as llama.cpp really got it (the AMX workaround is False)
    max_token_bytes: int = 256  # the most bytes one ordinary token covers: text needs ≥ bytes / this
    measured: tuple[int, float] | None = None  # (tokens, seconds) of the measurement asked for


@dataclass(frozen=True)
class LoadProgress:
    """How far llama.cpp has got reading the model (0 to 1)."""

    fraction: float


@dataclass(frozen=True)
class TokenCounts:
    """The answer to a CountTokensCommand: one count per text, in order."""

    counts: tuple[int, ...]


@dataclass(frozen=True)
class Unloaded:
    pass


@dataclass(frozen=True)
class Failed:
    """A handled failure inside the worker; ``kind`` names an EngineError."""

    kind: str
    message: str
    data: dict[str, int] = field(default_factory=dict)
