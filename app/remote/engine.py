"""The remote engine: an OpenAI-compatible server answers, with the same events as the local engine.

``RemoteEngine`` satisfies :class:`app.backend.chat_engine.ChatEngine`: ``generate`` streams
Reasoning/Answer/Notice events and ends with Done; ``cancel`` stops from any thread; ``close``.

Tools go out in the OpenAI form (``tools``; assistant ``tool_calls`` and ``tool`` messages in the
history). Calls come back as ToolCall events and Done("tool_calls"), from the server's streamed
``tool_calls`` deltas, or, for a server without a tool parser, from ``<tool_call>`` text in the
content, read by the local engine's parser.

What is sent: the conversation (assistant turns are their answers only, never reasoning), Qwen's
sampling preset for the mode with the caller's overrides, and the thinking switch the way the server
takes it (``presets.py``): ``chat_template_kwargs.enable_thinking`` for vLLM, SGLang, llama-server
and other servers; ``reasoning_effort: "none"`` to switch it off on Ollama, whose ``/v1`` endpoint
has no template arguments (Qwen3's ``/no_think`` soft switch is not used: it would change the user's
message and does nothing on models without Qwen3's hybrid template).

A server that refuses the extras (a 400 naming an unknown field) gets the request once more with
the OpenAI basics only; the engine remembers that for this server and says which fields it dropped.

The thinking budget is not applied remotely: no OpenAI-compatible server takes a per-request budget
in a form every server shares, and stopping the stream to continue with an assistant prefix needs
``continue_final_message`` and a chat template that keeps the prefix intact, which only some
servers and templates do. Rather than a budget that works on some servers and silently not on
others, a turn with a budget gets a ``budget_unsupported`` notice and the model thinks until it
is done (``max_tokens`` still bounds the whole turn).
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from app.backend import errors
from app.backend.protocol import (
    Answer,
    ChatMessage,
    Done,
    GenerationRequest,
    Notice,
    Reasoning,
    SamplingParams,
    StreamEvent,
    ToolCall,
    ToolCallRequest,
)
from app.backend.request_checks import check_request
from app.backend.think_split import ANSWER, Segment
from app.backend.tool_calls import ToolCallParser, first_call_number, loads_lenient
from app.remote.client import (
    CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    Cancelled,
    ChatStream,
    RemoteClient,
    RemoteModel,
    StreamAbort,
)
from app.remote.endpoint import Endpoint
from app.remote.presets import THINK_REASONING_EFFORT, THINK_TEMPLATE_KWARGS, get_preset
from app.remote.reasoning import DeltaRouter, reasoning_text

# Fields beyond the OpenAI basics that a strict server may refuse.
_EXTRA_FIELDS = ("top_k", "min_p", "presence_penalty", "seed", "chat_template_kwargs", "reasoning_effort")
_REFUSAL = re.compile(
    r"(unknown|unrecogni[sz]ed|unexpected|not permitted|not allowed|unsupported|extra|additional propert)"
    r".{0,40}(param|field|argument|input|key|propert)"
    r"|(param|field|argument|input|key|propert).{0,40}(unknown|unrecogni[sz]ed|unexpected|not permitted|"
    r"not allowed|unsupported)",
    re.I | re.S,
)


@dataclass
class ConnectReport:
    """What ``RemoteEngine.connect`` found: the server's models and the one this engine uses."""

    models: tuple[RemoteModel, ...]
    model: str
    context_length: int | None
    notices: list[Notice] = field(default_factory=list)


def privacy_notice(endpoint: Endpoint, *, documents: bool = False) -> Notice:
    """Says where the answers come from and that the messages (and documents) go there."""
    what = "the messages and the attached documents" if documents else "the messages"
    if endpoint.is_loopback:
        text = f"Answers come from the server at {endpoint.host} on this computer; {what} are sent to it."
    else:
        text = f"Answers come from {endpoint.host}: {what} leave this computer."
    return Notice(text, code="remote")


class RemoteEngine:
    """Chat with a model served by an OpenAI-compatible server."""

    def __init__(
        self,
        endpoint: Endpoint,
        model: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = DEFAULT_READ_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        """``timeout``: the longest wait for the next piece of an answer (the first one included)."""
        self.endpoint = endpoint
        self.model: str | None = model.strip() if model and model.strip() else None
        self.preset = get_preset(endpoint.preset)
        self.context_length: int | None = None
        self.models: tuple[RemoteModel, ...] = ()
        self._client = RemoteClient(endpoint, api_key, read_timeout=timeout, connect_timeout=connect_timeout)
        self._abort = StreamAbort()
        self._dropped: frozenset[str] = frozenset()  # fields this server refused
        self._told_unmarked = False

    @property
    def label(self) -> str:
        return f"{self.model or '?'} @ {self.endpoint.host}"

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> RemoteEngine:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self.cancel()
        self._client.close()

    def cancel(self) -> None:
        """Stop the current turn now, even while the server is still evaluating the prompt.

        The connection is shut down (the server sees it close and stops); the turn ends with
        Done("cancelled") keeping what was streamed.
        """
        self._abort.abort()

    # -------------------------------------------------------------- connect

    def connect(self) -> ConnectReport:
        """List the server's models and settle the model: the one asked for, or the only one served.

        Raises RemoteUnreachableError, RemoteAuthError, RemoteTimeoutError, RemoteProtocolError,
        RemoteServerError, or RemoteModelMissingError (with the models available).
        """
        models = self._client.list_models()
        self.models = tuple(models)
        ids = tuple(m.id for m in models)
        host = self.endpoint.host
        if not ids:
            raise errors.RemoteModelMissingError(f"{host} serves no models.", available=())
        if self.model is None:
            if len(ids) > 1:
                raise errors.RemoteModelMissingError(
                    f"{host} serves {len(ids)} models; choose one: {_listing(ids)}.", available=ids
                )
            self.model = ids[0]
        elif self.model not in ids:
            if f"{self.model}:latest" in ids:  # Ollama's default tag
                self.model = f"{self.model}:latest"
            else:
                raise errors.RemoteModelMissingError(
                    f"{host} does not serve the model {self.model!r}. It serves: {_listing(ids)}.",
                    available=ids,
                )
        chosen = next(m for m in models if m.id == self.model)
        self.context_length = chosen.context_length
        notices = []
        if not self.endpoint.is_https and not self.endpoint.is_loopback:
            notices.append(
                Notice(
                    f"The connection to {host} is not encrypted (http://): the messages, and the API key if "
                    "one is used, cross the network in plain text.",
                    code="unencrypted",
                )
            )
        return ConnectReport(
            models=self.models, model=self.model, context_length=self.context_length, notices=notices
        )

    # ------------------------------------------------------------- generate

    def generate(self, request: GenerationRequest) -> Iterator[StreamEvent]:
        """Stream one assistant turn: Reasoning/Answer/Notice events, then Done.

        Raises an EngineError subclass on failure (the remote kinds, or InvalidRequestError).
        """
        sampling, _budget = check_request(request)
        abort = self._abort = StreamAbort()
        if self.model is None:
            yield from self.connect().notices
        if request.enable_thinking and request.thinking_budget is not None:
            yield Notice(
                f"The thinking budget is not applied by {self.endpoint.host}: a remote server cannot be "
                "told generically to stop a thought, so the model thinks until it is done.",
                code="budget_unsupported",
            )
        t0 = time.perf_counter()
        stream: ChatStream | None = None
        body = self._body(request, sampling)
        for attempt in (1, 2):
            try:
                stream = self._client.stream_chat(body, abort)
                break
            except Cancelled:
                break
            except errors.RemoteModelMissingError as exc:
                raise self._missing(exc) from None
            except errors.RemoteServerError as exc:
                if abort.cancelled:
                    break
                refused = _refused_fields(exc, body)
                if attempt == 2 or not refused:
                    raise
                # every extra goes, not only those sent this time (a seed may come with the next turn)
                self._dropped |= refused | frozenset(_EXTRA_FIELDS)
                body = self._body(request, sampling)
                switch = " The thinking switch cannot be sent to it." if _SWITCHES & refused else ""
                yield Notice(
                    f"{self.endpoint.host} refused some request fields ({exc.message}). QwenDesk sent the "
                    f"request again without {', '.join(sorted(refused))} and leaves them out for this "
                    f"server, which uses its own defaults for them.{switch}",
                    code="fields_dropped",
                )
            except errors.EngineError:
                if abort.cancelled:
                    break
                raise
        if stream is None:  # stopped before the server answered
            yield _done("cancelled", DeltaRouter(request.enable_thinking), 0, None, t0, None, None)
            return
        yield from self._stream(stream, request, abort, t0)

    def _stream(
        self, stream: ChatStream, request: GenerationRequest, abort: StreamAbort, t0: float
    ) -> Iterator[StreamEvent]:
        # A server that marked nothing once (no field, no tags: a model that does not think) is not
        # held back again: its content streams as the answer from the next turn on.
        router = DeltaRouter(request.enable_thinking and not self._told_unmarked)
        tools = _ToolStream(first_call_number(request.messages)) if request.tools else None

        def events(segments: list[Segment]) -> Iterator[StreamEvent]:
            yield from (tools.answer(segments) if tools is not None else _events(segments))

        finish: str | None = None
        usage: dict[str, Any] | None = None
        pieces = 0
        t_first: float | None = None
        t_last: float | None = None
        stopped = False
        host = self.endpoint.host
        with stream:
            try:
                for chunk in stream:
                    if abort.cancelled:
                        stopped = True
                        break
                    if isinstance(chunk.get("usage"), dict):
                        usage = chunk["usage"]
                    choices = chunk.get("choices")
                    if choices is None and "usage" in chunk:
                        continue
                    if not isinstance(choices, list):
                        raise errors.RemoteProtocolError(
                            f"{host} sent a piece of the answer without choices: {str(chunk)[:120]}"
                        )
                    for choice in choices:
                        if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                            continue
                        delta = choice.get("delta") or {}
                        if not isinstance(delta, dict):
                            raise errors.RemoteProtocolError(f"{host} sent a delta that is not an object.")
                        thought = reasoning_text(delta)
                        content = delta.get("content")
                        text = content if isinstance(content, str) else ""
                        if thought or text:
                            t_last = time.perf_counter()
                            t_first = t_first or t_last
                            pieces += 1
                        yield from events(router.reasoning(thought) + router.content(text))
                        if tools is not None and delta.get("tool_calls"):
                            tools.deltas(delta["tool_calls"])
                            t_last = time.perf_counter()
                            t_first = t_first or t_last
                        if isinstance(choice.get("finish_reason"), str) and choice["finish_reason"]:
                            finish = choice["finish_reason"]
            except Cancelled:
                stopped = True
            except errors.EngineError:
                if not abort.cancelled:
                    yield from events(router.finish())  # what arrived stays with the caller
                    raise
                stopped = True
            if not stopped and finish is None and not stream.saw_done:
                if abort.cancelled:
                    stopped = True
                else:
                    yield from events(router.finish())
                    raise errors.RemoteProtocolError(
                        f"The stream from {host} ended before the answer was complete (no finish reason)."
                    )
        yield from events(router.finish())
        if tools is not None:
            yield from tools.finish(truncated=finish == "length" and not stopped)
        if router.held_to_end and not self._told_unmarked:
            self._told_unmarked = True
            yield Notice(
                f"{host} does not mark the model's reasoning, so with thinking on this answer was shown only "
                "when complete (until then it could have been the start of a thought). From now on its "
                "answers stream as they come; start the server with a reasoning parser to have any "
                "thinking shown apart.",
                code="reasoning_unmarked",
            )
        if not request.enable_thinking and router.thought:
            yield Notice(
                f"The model thought although thinking was off: {host} did not pass the switch to the model's "
                "chat template.",
                code="thinking_not_off",
            )
        reason = "cancelled" if stopped else ("length" if finish == "length" else "stop")
        if reason == "stop" and tools is not None and tools.calls:
            reason = "tool_calls"
        yield _done(reason, router, pieces, usage, t0, t_first, t_last)

    # ------------------------------------------------------------ internals

    def _body(self, request: GenerationRequest, s: SamplingParams) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            # An assistant turn is its answer (and its calls), never its reasoning.
            "messages": [_message(m) for m in request.messages],
            "stream": True,
            "stream_options": {"include_usage": True},
            "temperature": s.temperature,
            "top_p": s.top_p,
        }
        if request.max_tokens is not None:
            body["max_tokens"] = request.max_tokens
        if request.tools:
            body["tools"] = [dict(t) for t in request.tools]
        extras = {"top_k": s.top_k, "min_p": s.min_p, "presence_penalty": s.presence_penalty, "seed": s.seed}
        for name in self.preset.sampling_extras:
            if extras[name] is not None:
                body[name] = extras[name]
        if self.preset.think_switch == THINK_TEMPLATE_KWARGS:
            body["chat_template_kwargs"] = {"enable_thinking": request.enable_thinking}
        elif self.preset.think_switch == THINK_REASONING_EFFORT and not request.enable_thinking:
            body["reasoning_effort"] = (
                "none"  # Ollama: thinking off (it is on by default for thinking models)
            )
        for name in self._dropped:
            body.pop(name, None)
        return body

    def _missing(self, exc: errors.RemoteModelMissingError) -> errors.RemoteModelMissingError:
        available = tuple(m.id for m in self.models)
        if not available:
            with contextlib.suppress(errors.EngineError):
                available = tuple(m.id for m in self._client.list_models())
        message = exc.message + (f" It serves: {_listing(available)}." if available else "")
        return errors.RemoteModelMissingError(message, available=available)


_SWITCHES = frozenset({"chat_template_kwargs", "reasoning_effort"})


def _refused_fields(exc: errors.RemoteServerError, body: dict[str, Any]) -> frozenset[str]:
    """The extra fields to drop when ``exc`` is a server refusing fields it does not know; else empty."""
    if exc.status not in (400, 422):
        return frozenset()
    sent = frozenset(name for name in _EXTRA_FIELDS if name in body)
    message = exc.message
    if not sent or not (_REFUSAL.search(message) or any(name in message for name in sent)):
        return frozenset()
    return sent | ({"stream_options"} if "stream_options" in message else frozenset())


def _message(m: ChatMessage) -> dict[str, Any]:
    """A message in the OpenAI form: assistant calls as ``tool_calls`` (arguments as JSON text), tool
    results with the id of the call they answer."""
    out: dict[str, Any] = {"role": m.role, "content": m.content}
    if m.role == "assistant" and m.tool_calls:
        out["content"] = m.content or None
        out["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": json.dumps(c.arguments, ensure_ascii=False)},
            }
            for c in m.tool_calls
        ]
    if m.role == "tool":
        if m.tool_call_id is not None:
            out["tool_call_id"] = m.tool_call_id
        if m.name is not None:
            out["name"] = m.name
    return out


class _ToolStream:
    """A tool turn's calls from either source: the server's ``tool_calls`` deltas (assembled across
    chunks by index), or ``<tool_call>`` text in the content from a server without a tool parser."""

    def __init__(self, first_id: int) -> None:
        self._text = ToolCallParser(first_id)
        self._first_id = first_id
        self._parts: dict[int, dict[str, str]] = {}  # index → id, name, arguments so far
        self.calls: list[ToolCallRequest] = []

    def answer(self, segments: list[Segment]) -> Iterator[StreamEvent]:
        for channel, text in segments:
            if channel == ANSWER:
                for event in self._text.feed(text):
                    if isinstance(event, ToolCall):
                        self.calls.append(event.call)
                    yield event
            else:
                yield Reasoning(text)

    def deltas(self, items: object) -> None:
        if not isinstance(items, list):
            return
        for item in items:
            if not isinstance(item, dict):
                continue
            index = item.get("index", len(self._parts))
            part = self._parts.setdefault(index if isinstance(index, int) else len(self._parts), {})
            if isinstance(item.get("id"), str) and item["id"]:
                part["id"] = item["id"]
            function = item.get("function")
            if not isinstance(function, dict):
                function = {}
            for key in ("name", "arguments"):
                piece = function.get(key)
                if isinstance(piece, str):
                    part[key] = part.get(key, "") + piece
                elif isinstance(piece, dict) and key == "arguments":  # a server that sends an object
                    part[key] = json.dumps(piece, ensure_ascii=False)

    def finish(self, *, truncated: bool) -> Iterator[StreamEvent]:
        for event in self._text.finish(truncated=truncated):
            if isinstance(event, ToolCall):
                self.calls.append(event.call)
            yield event
        number = self._first_id + len(self._text.calls)
        for k, index in enumerate(sorted(self._parts)):
            part = self._parts[index]
            call_id = part.get("id") or f"call_{number + k}"
            name = part.get("name", "").strip()
            raw = part.get("arguments", "")
            args, why = loads_lenient(raw) if raw.strip() else ({}, None)
            error = None
            if truncated:
                error = "The call was cut off before it was complete (length limit)."
            elif why is not None:
                error = f"The call's arguments: {why}"
            elif not isinstance(args, dict):
                error = "The call's arguments are not a JSON object."
            elif not name:
                error = "The call has no name."
            call = ToolCallRequest(call_id, name, args if error is None else {}, raw, error)
            self.calls.append(call)
            yield ToolCall(call)


def _events(segments: list[Segment]) -> Iterator[StreamEvent]:
    for channel, text in segments:
        yield Answer(text) if channel == ANSWER else Reasoning(text)


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _done(
    reason: str,
    router: DeltaRouter,
    pieces: int,
    usage: dict[str, Any] | None,
    t0: float,
    t_first: float | None,
    t_last: float | None,
) -> Done:
    """Counts from the server's usage report when it sent one, else from the pieces received."""
    usage = usage or {}
    details = usage.get("completion_tokens_details")
    prompt = _count(usage.get("prompt_tokens")) or 0
    completion = _count(usage.get("completion_tokens"))
    completion = pieces if completion is None else completion
    reasoning = _count(details.get("reasoning_tokens")) if isinstance(details, dict) else None
    reasoning = router.reasoning_pieces if reasoning is None else reasoning
    decode = None
    if t_first is not None and t_last is not None and t_last > t_first and completion > 1:
        decode = (completion - 1) / (t_last - t_first)
    return Done(
        finish_reason=reason,
        prompt_tokens=prompt,
        evaluated_prompt_tokens=prompt,
        completion_tokens=completion,
        reasoning_tokens=min(reasoning, completion),
        ttft_s=None if t_first is None else t_first - t0,
        decode_tokens_per_s=decode,
        thought=router.thought,
        reasoning_unclosed=router.reasoning_unclosed(reason),
    )


def _listing(ids: tuple[str, ...], shown: int = 10) -> str:
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return ", ".join(ids[:shown]) + more
