"""``qwendesk chat``: one turn, or a multi-turn session over stdin lines.

With ``--json`` stdout carries exactly one JSON object per line (reasoning,
answer, notice, done, error events) and nothing else; human output shows the
reasoning dimmed and prefixed, the answer plain. Ctrl-C stops the current
answer (the partial answer is kept in the conversation).

``--attach FILE`` (repeatable) answers from documents: each turn's message
carries the whole documents or the best passages (``app.documents.build_turn``),
a ``sources`` event (JSON) comes before the answer, and human output lists the
sources after it.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable
from typing import Any, TextIO

from app.backend.engine import Engine, LoadReport
from app.backend.errors import EngineError
from app.backend.protocol import (
    Answer,
    ChatMessage,
    Done,
    GenerationRequest,
    Notice,
    Reasoning,
    Sampling,
    StreamEvent,
    event_to_json,
)
from app.cli.chat_documents import AttachedDocuments
from app.documents import DocumentError, TurnContext
from app.models.load_plan import ANSWER_ROOM, context_for
from app.models.locate import resolve_model

EXIT_ERROR = 1
EXIT_CANCELLED = 130


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "chat",
        help="chat with a model in the terminal",
        description="Chat with a Qwen3 GGUF. With PROMPT: one turn; without: one message per stdin line.",
    )
    p.add_argument(
        "--model",
        required=True,
        metavar="PATH|NAME",
        help="a GGUF file (first part of a split model), the name of one in the models dir, "
        "or a downloaded NAME:QUANT such as Qwen3-4B:Q4_K_M",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--think", dest="think", action="store_true", default=True, help="thinking mode (default)"
    )
    mode.add_argument("--no-think", dest="think", action="store_false", help="answer without thinking")
    p.add_argument("--thinking-budget", type=int, metavar="N", help="at most N reasoning tokens, then answer")
    p.add_argument("--ctx", type=int, metavar="N", help="context length (YaRN is used beyond 32,768)")
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
    p.add_argument("--threads", type=int, metavar="N", help="CPU threads (default: half the cores)")
    p.add_argument(
        "--gpu-layers", type=int, metavar="N", help="layers to offload (default: all, if a GPU build)"
    )
    p.add_argument("--kv-cache", default="f16", choices=["f16", "q8_0", "q4_0"], help="KV-cache type")
    p.add_argument(
        "--attach",
        action="append",
        default=[],
        metavar="FILE",
        help="answer from this document (PDF, DOCX, HTML, Markdown, text, CSV, source code); repeatable",
    )
    p.add_argument("--json", action="store_true", help="JSON lines on stdout, one event per line")
    p.add_argument("prompt", nargs="?", metavar="PROMPT", help="one user message; omit to read stdin lines")
    p.set_defaults(run=run)


class _Output:
    """Writes events for people or as JSON lines."""

    def __init__(self, as_json: bool, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> None:
        self.as_json = as_json
        self.out, self.err = out, err
        self.tty = out.isatty()
        self._channel: str | None = None
        self._sources: TurnContext | None = None  # human output lists them after the answer

    def event(self, ev: StreamEvent) -> None:
        if self.as_json:
            self._line(event_to_json(ev))
        elif isinstance(ev, Reasoning):
            self._switch("reasoning")
            text = ev.text.replace("\n", "\n│ ")
            self.out.write(f"\x1b[2m{text}\x1b[0m" if self.tty else text)
        elif isinstance(ev, Answer):
            self._switch("answer")
            self.out.write(ev.text)
        elif isinstance(ev, Notice):
            self.err.write(f"qwendesk: notice: {ev.text}\n")
        elif isinstance(ev, Done):
            self._switch(None)
            footer = f"[{ev.finish_reason} · {ev.completion_tokens} tokens"
            if ev.decode_tokens_per_s:
                footer += f" · {ev.decode_tokens_per_s:.1f} tok/s"
            if ev.thinking_budget_hit:
                footer += " · thinking budget reached"
            self.err.write(footer + "]\n")
            self._list_sources()
        self.out.flush()

    def sources(self, turn: TurnContext) -> None:
        """The sources of the coming answer: a JSON line now, or a list after the answer."""
        if self.as_json:
            items = [s.to_json() for s in turn.sources]
            self._line({"event": "sources", "mode": turn.mode, "items": items})
        else:
            self._sources = turn

    def _list_sources(self, shown: int = 8) -> None:
        turn, self._sources = self._sources, None
        if turn is None or not turn.sources:
            return
        whole = " (the whole documents were given; best matches first)" if turn.mode == "whole" else ""
        self.out.write(f"\nSources{whole}:\n")
        for s in turn.sources[:shown]:
            self.out.write(f"  [{s.ref}] {s.citation}\n")
        if len(turn.sources) > shown:
            self.out.write(f"  … and {len(turn.sources) - shown} more\n")

    def error(self, exc: EngineError | DocumentError) -> None:
        self._switch(None)
        if self.as_json:
            self._line(exc.to_json())
        else:
            self.err.write(f"qwendesk: error: {exc.message}\n")
            self.err.flush()

    def _switch(self, channel: str | None) -> None:
        if channel == self._channel:
            return
        if self._channel is not None:
            self.out.write("\n")
        if channel == "reasoning":
            self.out.write("\x1b[2m│ " if self.tty else "│ ")
            self.out.write("\x1b[0m" if self.tty else "")
        self._channel = channel

    def _line(self, obj: dict[str, object]) -> None:
        self.out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.out.flush()


def _request(args: argparse.Namespace, messages: list[ChatMessage]) -> GenerationRequest:
    return GenerationRequest(
        messages=tuple(messages),
        enable_thinking=args.think,
        thinking_budget=args.thinking_budget,
        max_tokens=args.max_tokens,
        sampling=Sampling(
            temperature=args.temperature,
            top_p=args.top_p,
            top_k=args.top_k,
            min_p=args.min_p,
            presence_penalty=args.presence_penalty,
            seed=args.seed,
        ),
    )


def _turn(engine: Engine, args: argparse.Namespace, messages: list[ChatMessage], out: _Output) -> str:
    """Run one turn; returns its finish reason, or "error". Keeps ``messages`` well-formed."""
    answer: list[str] = []
    previous = signal.signal(signal.SIGINT, lambda *_: engine.cancel())
    try:
        for ev in engine.generate(_request(args, messages)):
            if isinstance(ev, Answer):
                answer.append(ev.text)
            out.event(ev)
            if isinstance(ev, Done):
                messages.append(ChatMessage("assistant", "".join(answer)))
                return ev.finish_reason
    except EngineError as exc:
        out.error(exc)
        if answer:  # what was received stays in the conversation
            messages.append(ChatMessage("assistant", "".join(answer)))
        else:
            messages.pop()
        return "error"
    finally:
        signal.signal(signal.SIGINT, previous)
    return "error"


def _ask(
    text: str,
    messages: list[ChatMessage],
    docs: AttachedDocuments | None,
    report: LoadReport,
    args: argparse.Namespace,
    out: _Output,
) -> None:
    """Append the user's message: ``text`` itself, or with the attached documents' text."""
    if docs is None:
        messages.append(ChatMessage("user", text))
        return
    reserve = args.max_tokens or ANSWER_ROOM  # room for thinking and the answer
    turn = docs.turn(
        text,
        [m.content for m in messages],
        n_ctx=report.plan.n_ctx,
        max_ctx=report.plan.max_ctx,
        reserve=reserve,
    )
    if turn.longer_context_tokens is not None:
        ctx = context_for(report.info, turn.longer_context_tokens, room=reserve)
        out.event(
            Notice(
                f"The attached documents fit whole only in a longer context: run with --ctx {ctx} to "
                f"give the model all of them. Answering from the {len(turn.sources)} most relevant "
                "passages.",
                code="longer_context",
            )
        )
    out.sources(turn)
    messages.append(ChatMessage("user", turn.prompt))


def run(
    args: argparse.Namespace, *, stdin: TextIO | None = None, engine_factory: Callable[[], Engine] = Engine
) -> int:
    out = _Output(args.json)
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
        return _run(args, stdin, out, docs, engine_factory)
    finally:
        if docs is not None:
            docs.close()


def _run(
    args: argparse.Namespace,
    stdin: TextIO,
    out: _Output,
    docs: AttachedDocuments | None,
    engine_factory: Callable[[], Engine],
) -> int:
    with engine_factory() as engine:
        try:
            report = engine.load(
                resolve_model(args.model),
                n_ctx=args.ctx,
                n_threads=args.threads,
                n_gpu_layers=args.gpu_layers,
                kv_cache_type=args.kv_cache,
            )
        except EngineError as exc:
            out.error(exc)
            return EXIT_ERROR
        for notice in report.notices:
            out.event(notice)
        for warning in docs.warnings if docs else ():
            out.event(Notice(warning, code="document"))
        messages: list[ChatMessage] = []
        if args.system:
            messages.append(ChatMessage("system", args.system))
        if args.prompt is not None:
            _ask(args.prompt, messages, docs, report, args, out)
            finish = _turn(engine, args, messages, out)
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
            _ask(text, messages, docs, report, args, out)
            failed = _turn(engine, args, messages, out) == "error" or failed
        return EXIT_ERROR if failed else 0
