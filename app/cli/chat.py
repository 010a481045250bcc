"""``qwendesk chat``: one turn, or a multi-turn session over stdin lines.

With ``--json`` stdout carries exactly one JSON object per line (reasoning,
answer, notice, done, error events) and nothing else; human output shows the
reasoning dimmed and prefixed, the answer plain. Ctrl-C stops the current
answer (the partial answer is kept in the conversation).

``--attach FILE`` (repeatable) answers from documents: each turn's message
carries the whole documents or the best passages (``app.documents.fit_turn``),
a ``sources`` event (JSON) comes before the answer, and human output lists the
sources after it. With a local model the budget is counted with the model's own
tokenizer and checked against the prompt as sent; the room kept for the answer
scales with the context (``app.documents.answer_room``); when not even one
passage fits, the turn is an error, not an answer without the documents.

Without ``--gpu-layers``, a GPU build offloads as many layers as the fit estimate
says fit (``app.cli.gpu_layers``); ``--verbose`` says what was chosen and why.

``--endpoint URL|SAVED_NAME`` has an OpenAI-compatible server answer instead of a
local GGUF (``app.remote.RemoteEngine``), with the same flags and the same events;
the first event is a ``remote`` notice saying where the messages go. The API key
comes from ``--api-key``, else ``QWENDESK_API_KEY``, else the system keyring entry
saved for that server. Local-only flags (``--ctx``, ``--threads``, ``--gpu-layers``,
``--kv-cache``) are refused with ``--endpoint``.

    qwendesk chat --endpoint http://gpu-box:8000/v1 --model Qwen/Qwen3-8B "Hello"
    qwendesk chat --endpoint localhost:11434 --model qwen3:8b --no-think --json "Hi"
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from app.backend.chat_engine import ChatEngine
from app.backend.engine import Engine
from app.backend.errors import EngineError
from app.backend.protocol import (
    Answer,
    ChatMessage,
    Done,
    GenerationRequest,
    Notice,
    PromptProgress,
    Reasoning,
)
from app.chat.tool_events import AlwaysAllowed, ToolCardEvent, ToolHostLike
from app.chat.tool_turn import run_tool_turn, stored_steps
from app.chat.turn_request import SAMPLING_KEYS, make_request, sampling_of
from app.cli import chat_tools
from app.cli.chat_documents import AttachedDocuments
from app.cli.chat_output import Output
from app.cli.gpu_layers import load_as_asked
from app.cli.stopping import insisting
from app.documents import DocumentError, ModelTokens, answer_room, estimate_tokens
from app.documents.engine_turn import READ_LIMIT_S
from app.models.gguf_file import GGUFInfo
from app.models.load_plan import context_for
from app.models.think_mode import ThinkMode, effective_thinking
from app.remote.presets import PRESETS
from app.render.duration import about
from app.store.models import ToolCard

if TYPE_CHECKING:
    from app.remote.endpoint import Endpoint

EXIT_ERROR = 1
EXIT_CANCELLED = 130
EXIT_USAGE = 2
API_KEY_ENV = "QWENDESK_API_KEY"
# The documents budget with a server that does not say its context: Qwen3's native context.
REMOTE_DEFAULT_CONTEXT = 32_768
LOCAL_ONLY = {"ctx": "--ctx", "threads": "--threads", "gpu_layers": "--gpu-layers", "kv_cache": "--kv-cache"}


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "chat",
        help="chat with a model in the terminal",
        description="Chat with a Qwen3 GGUF, or with a model on an OpenAI-compatible server (--endpoint). "
        "With PROMPT: one turn; without: one message per stdin line.",
    )
    p.add_argument(
        "--model",
        metavar="PATH|NAME",
        help="a GGUF file (first part of a split model), the name of one in the models dir, "
        "or a downloaded NAME:QUANT such as Qwen3-4B:Q4_K_M; with --endpoint: the model's name on the "
        "server (optional when it serves one model)",
    )
    remote = p.add_argument_group("remote server (instead of a local GGUF)")
    remote.add_argument(
        "--endpoint",
        metavar="URL|NAME",
        help="an OpenAI-compatible server (vLLM, SGLang, llama-server, Ollama, …): its base URL such as "
        "http://gpu-box:8000/v1 (host:port is enough), or the name of a server saved in the app; "
        "the messages (and attached documents) are sent to it",
    )
    remote.add_argument(
        "--api-key",
        metavar="KEY",
        help=f"the server's API key (visible to other users in the process list: prefer ${API_KEY_ENV} "
        "or the key saved in the app, which is read from the system keyring)",
    )
    remote.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        help="the kind of server, for the fields it takes (default: the saved server's, else "
        "guessed from the port: 11434 is Ollama, anything else 'custom')",
    )
    remote.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="the longest wait for the next piece of the answer (default: 300; prompt evaluation of a "
        "long conversation on a big model can take minutes)",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--think", dest="think", action="store_true", default=True, help="thinking mode (default)"
    )
    mode.add_argument("--no-think", dest="think", action="store_false", help="answer without thinking")
    p.add_argument(
        "--thinking-budget",
        type=int,
        metavar="N",
        help="at most N reasoning tokens, then answer (not applied by remote servers: a notice says so)",
    )
    p.add_argument(
        "--ctx", type=int, metavar="N", help="context length (YaRN is used beyond 32,768); local only"
    )
    p.add_argument("--max-tokens", type=int, metavar="N", help="at most N generated tokens per turn")
    p.add_argument("--temperature", type=float, metavar="T")
    p.add_argument("--top-p", type=float, metavar="P")
    p.add_argument("--top-k", type=int, metavar="K")
    p.add_argument("--min-p", type=float, metavar="P")
    p.add_argument(
        "--presence-penalty", type=float, metavar="X", help="0 to 2 (Qwen suggests 1.5 for quants)"
    )
    p.add_argument("--seed", type=int, metavar="N")
    p.add_argument("--system", metavar="TEXT", help="system prompt")
    p.add_argument(
        "--threads", type=int, metavar="N", help="CPU threads (default: the physical cores); local only"
    )
    p.add_argument(
        "--gpu-layers",
        type=int,
        metavar="N",
        help="layers to offload to the GPU (default: as many as the fit estimate says fit, on a GPU "
        "build; -v says how many and why); local only",
    )
    p.add_argument(
        "--kv-cache", choices=["f16", "q8_0", "q4_0"], help="KV-cache type (default: f16); local only"
    )
    p.add_argument(
        "--attach",
        action="append",
        default=[],
        metavar="FILE",
        help="answer from this document (PDF, DOCX, HTML, Markdown, text, CSV, source code); repeatable",
    )
    p.add_argument(
        "--read-whole",
        action="store_true",
        help="send attached documents whole whenever they fit, however long they take to read",
    )
    p.add_argument(
        "--read-limit",
        type=float,
        default=READ_LIMIT_S,
        metavar="SECONDS",
        help="documents that would take longer to read go by their most relevant passages (default: 60)",
    )
    p.add_argument(
        "--no-kept-state",
        dest="keep_state",
        action="store_false",
        help="do not keep this session's KV cache on disk (by default the next run with the same "
        "beginning, such as the same document, reads only what is new); local only",
    )
    chat_tools.add_arguments(p)
    p.add_argument("--json", action="store_true", help="JSON lines on stdout, one event per line")
    p.add_argument("prompt", nargs="?", metavar="PROMPT", help="one user message; omit to read stdin lines")
    p.set_defaults(run=run, chat_parser=p)


def _usage_error(args: argparse.Namespace, message: str) -> NoReturn:
    """An argparse-style usage error (exit status 2) for checks that span several flags."""
    parser = getattr(args, "chat_parser", None)
    if parser is not None:
        parser.error(message)
    sys.stderr.write(f"qwendesk chat: error: {message}\n")
    raise SystemExit(EXIT_USAGE)


def _check_flags(args: argparse.Namespace) -> None:
    problem = chat_tools.check_flags(args)
    if problem is not None:
        _usage_error(args, problem)
    if args.endpoint is None:
        if not args.model:
            _usage_error(args, "--model is required (or --endpoint to chat with a model on a server)")
        for flag in ("api_key", "preset", "timeout"):
            if getattr(args, flag) is not None:
                _usage_error(args, f"--{flag.replace('_', '-')} goes with --endpoint")
        return
    local = [name for dest, name in LOCAL_ONLY.items() if getattr(args, dest) is not None]
    if local:
        _usage_error(args, f"{', '.join(local)}: not allowed with --endpoint (for a local model only)")
    if args.timeout is not None and args.timeout <= 0:
        _usage_error(args, "--timeout must be more than 0 seconds")


def _request(args: argparse.Namespace, messages: list[ChatMessage]) -> GenerationRequest:
    """The turn as the window builds it (app.chat.turn_request), from the command's flags."""
    sampling = {key: getattr(args, key) for key in SAMPLING_KEYS}
    return make_request(
        messages,
        think=args.think,
        thinking_budget=args.thinking_budget,
        max_tokens=args.max_tokens,
        sampling=sampling_of(sampling),
    )


def _turn(
    engine: ChatEngine,
    args: argparse.Namespace,
    messages: list[ChatMessage],
    out: Output,
    host: ToolHostLike | None = None,
) -> str:
    """Run one turn; returns its finish reason, or "error". Keeps ``messages`` well-formed.

    With ``host`` the turn may call tools (app.chat.tool_turn): its steps join ``messages`` as the
    model saw them. Ctrl-C stops the answer (and a running call); a second one (or SIGTERM) stops
    everything (app.cli.stopping).
    """
    answer: list[str] = []
    cards: dict[str, ToolCard] = {}
    stop = threading.Event()

    def stop_answer() -> None:
        stop.set()
        engine.cancel()

    def keep(answer_text: str) -> None:
        if cards:
            messages.extend(stored_steps(answer_text, list(cards.values())))
        else:
            messages.append(ChatMessage("assistant", answer_text))

    request = _request(args, messages)
    with insisting(getattr(engine, "kill", engine.cancel), on_first=stop_answer):
        try:
            events: Iterator[object] = (
                engine.generate(request)
                if host is None
                else run_tool_turn(
                    engine.generate, request, host, chat_tools.consent_for(args),
                    max_rounds=args.max_tool_rounds, cancelled=stop.is_set,
                )
            )  # fmt: skip
            for ev in events:
                if isinstance(ev, ToolCardEvent):
                    cards[ev.card.id] = ev.card
                    out.card(ev.card)
                    continue
                if isinstance(ev, AlwaysAllowed):
                    continue
                assert isinstance(ev, (Reasoning, Answer, Notice, PromptProgress, Done))
                if isinstance(ev, Answer):
                    answer.append(ev.text)
                out.event(ev)
                if isinstance(ev, Done):
                    keep("".join(answer))
                    return ev.finish_reason
        except EngineError as exc:
            out.error(exc)
            if answer or cards:  # what was received stays in the conversation
                keep("".join(answer))
            else:
                messages.pop()
            return "error"
    return "error"


@dataclass(frozen=True)
class _Room:
    """The context the attached documents must fit in; ``info`` (local) can offer a longer one, and
    ``engine`` (local) counts tokens exactly."""

    n_ctx: int
    max_ctx: int | None = None
    info: GGUFInfo | None = None
    engine: Engine | None = None
    think_mode: ThinkMode = "hybrid"


def _ask(
    text: str,
    messages: list[ChatMessage],
    docs: AttachedDocuments | None,
    room: _Room,
    args: argparse.Namespace,
    out: Output,
) -> bool:
    """Append the user's message: ``text`` itself, or with the attached documents' text.

    False (the error said, nothing appended) when the documents leave no room or counting failed.
    """
    if docs is None:
        messages.append(ChatMessage("user", text))
        return True
    thinks = effective_thinking(room.think_mode, args.think)
    budget = args.thinking_budget if thinks else None

    def reserve_for(n_ctx: int) -> int:  # room for thinking and the answer
        return answer_room(n_ctx, thinking_budget=budget, max_tokens=args.max_tokens)

    engine = room.engine
    try:
        turn = docs.turn(
            text,
            [m.content for m in messages],
            n_ctx=room.n_ctx,
            max_ctx=room.max_ctx,
            reserve=reserve_for(room.n_ctx),
            count_tokens=ModelTokens(engine.count_tokens) if engine is not None else estimate_tokens,
            prompt_tokens=None
            if engine is None
            else lambda message: engine.count_prompt(
                _request(args, [*messages, ChatMessage("user", message)])
            ),
            reading=engine.reading_seconds if engine is not None else None,
            read_limit_s=args.read_limit,
            read_whole=args.read_whole,
        )
    except (DocumentError, EngineError) as exc:
        out.error(exc)
        return False
    if turn.longer_context_tokens is not None and room.info is not None:
        offered = room.max_ctx or room.n_ctx
        ctx = context_for(room.info, turn.longer_context_tokens, room=reserve_for(offered))
        out.event(
            Notice(
                f"The attached documents fit whole only in a longer context: run with --ctx {ctx} to "
                f"give the model all of them. Answering from the {len(turn.sources)} most relevant "
                "passages.",
                code="longer_context",
            )
        )
    if turn.whole_reading_s is not None:
        out.event(
            Notice(
                f"Reading the whole documents would take {about(turn.whole_reading_s)} on this machine: "
                f"answering from the {len(turn.sources)} most relevant passages (--read-whole reads all "
                "of them).",
                code="read_whole",
            )
        )
    out.reading_what = "document" if turn.mode == "whole" else "conversation"
    out.sources(turn)
    messages.append(ChatMessage("user", turn.prompt))
    return True


def run(
    args: argparse.Namespace, *, stdin: TextIO | None = None, engine_factory: Callable[[], Engine] = Engine
) -> int:
    _check_flags(args)
    out = Output(args.json)
    stdin = stdin or sys.stdin
    docs: AttachedDocuments | None = None
    if args.attach:
        try:
            docs = AttachedDocuments(args.attach)  # before the model loads: a bad file fails fast
        except DocumentError as exc:
            out.error(exc)
            return EXIT_ERROR
        except KeyboardInterrupt:
            return EXIT_CANCELLED
    try:
        with chat_tools.tool_host(args, out.err) as host:
            return _run(args, stdin, out, docs, engine_factory, host)
    finally:
        if docs is not None:
            docs.close()


def _run(
    args: argparse.Namespace,
    stdin: TextIO,
    out: Output,
    docs: AttachedDocuments | None,
    engine_factory: Callable[[], Engine],
    host: ToolHostLike | None = None,
) -> int:
    if args.endpoint is not None:
        return _run_remote(args, stdin, out, docs, host)
    with engine_factory() as engine:
        try:
            return _run_local(engine, args, stdin, out, docs, host)
        except KeyboardInterrupt:  # Ctrl-C while loading, or a second one during an answer
            engine.cancel()  # a load in progress stops at its next progress report
            out.err.write("\nqwendesk: stopped\n")
            return EXIT_CANCELLED


def _run_local(
    engine: Engine,
    args: argparse.Namespace,
    stdin: TextIO,
    out: Output,
    docs: AttachedDocuments | None,
    host: ToolHostLike | None = None,
) -> int:
    engine.keeping = replace(engine.keeping, persist_unkeyed=args.keep_state)
    try:
        report = load_as_asked(engine, args, args.kv_cache or "f16")
    except EngineError as exc:
        out.error(exc)
        return EXIT_ERROR
    except KeyboardInterrupt:
        engine.cancel()  # the load stops at its next progress report
        out.err.write("\nqwendesk: loading cancelled\n")
        return EXIT_CANCELLED
    for notice in report.notices:
        out.event(notice)
    room = _Room(report.plan.n_ctx, report.plan.max_ctx, report.info, engine, report.think_mode)
    return _chat(engine, room, args, stdin, out, docs, host)


def _run_remote(
    args: argparse.Namespace,
    stdin: TextIO,
    out: Output,
    docs: AttachedDocuments | None,
    host: ToolHostLike | None = None,
) -> int:
    from app.remote.endpoints import EndpointStore
    from app.remote.engine import RemoteEngine, privacy_notice

    store = EndpointStore()
    saved = store.get(args.endpoint)
    model = args.model or (saved.last_model if saved else None)
    endpoint = _endpoint(args, saved.endpoint if saved else None)
    out.event(privacy_notice(endpoint, documents=docs is not None))  # first: where the messages go
    if store.problem:
        out.event(Notice(store.problem, code="endpoints"))
    timeout = {} if args.timeout is None else {"timeout": args.timeout}
    with RemoteEngine(endpoint, model, _api_key(args, endpoint), **timeout) as engine:
        try:
            report = engine.connect()
        except EngineError as exc:
            out.error(exc)
            return EXIT_ERROR
        except KeyboardInterrupt:
            return EXIT_CANCELLED
        if saved is not None:
            store.remember_model(saved.name, report.model)
        for notice in report.notices:
            out.event(notice)
        room = _Room(report.context_length or REMOTE_DEFAULT_CONTEXT)
        return _chat(engine, room, args, stdin, out, docs, host)


def _endpoint(args: argparse.Namespace, saved: Endpoint | None) -> Endpoint:
    from app.remote.endpoint import Endpoint

    if saved is not None:
        return saved if args.preset is None else replace(saved, preset=args.preset)
    try:
        return Endpoint.from_url(args.endpoint, preset=args.preset)
    except ValueError as exc:
        _usage_error(args, f"--endpoint: {exc}")


def _api_key(args: argparse.Namespace, endpoint: Endpoint) -> str | None:
    """--api-key, else $QWENDESK_API_KEY, else the key saved in the keyring (none if no keyring works)."""
    if args.api_key:
        return str(args.api_key)
    if os.environ.get(API_KEY_ENV):
        return os.environ[API_KEY_ENV]
    from app.remote.keys import KeyringUnavailableError, get_endpoint_key

    try:
        return get_endpoint_key(endpoint.base_url)
    except KeyringUnavailableError:
        return None


def _chat(
    engine: ChatEngine,
    room: _Room,
    args: argparse.Namespace,
    stdin: TextIO,
    out: Output,
    docs: AttachedDocuments | None,
    host: ToolHostLike | None = None,
) -> int:
    """The conversation: one turn for PROMPT, else one per stdin line."""
    for warning in docs.warnings if docs else ():
        out.event(Notice(warning, code="document"))
    messages: list[ChatMessage] = []
    if args.system:
        messages.append(ChatMessage("system", args.system))
    if args.prompt is not None:
        if not _ask(args.prompt, messages, docs, room, args, out):
            return EXIT_ERROR
        finish = _turn(engine, args, messages, out, host)
        return {"error": EXIT_ERROR, "cancelled": EXIT_CANCELLED}.get(finish, 0)
    failed = False
    interactive = stdin.isatty() and not args.json
    while True:
        if interactive:
            sys.stderr.write("> ")
            sys.stderr.flush()
        try:
            line = stdin.readline()
        except KeyboardInterrupt:
            return EXIT_CANCELLED
        if not line:
            break
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        if not _ask(text, messages, docs, room, args, out):
            failed = True
            continue
        failed = _turn(engine, args, messages, out, host) == "error" or failed
    return EXIT_ERROR if failed else 0
