"""A turn that may call tools: generate, ask the user, run the calls, feed the results back, repeat.

Qt-free and blocking, so the window runs it on its engine thread and the CLI in its loop. The
model's stream passes through; each call becomes a card (app.store.models.ToolCard) that is
reported every time it changes. A call runs only after ``consent`` says so ("always" is kept for
the rest of the run and reported, so the caller can keep it for the conversation). A call that
did not parse, or names a tool the host does not have, is never run: the model is told why.

Everything a tool returns is data: its text becomes the ``tool`` message as it is (the template
and the tokenizer keep it plain text; the host caps its size).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence

from app.backend.protocol import (
    Answer,
    ChatMessage,
    Done,
    GenerationRequest,
    Notice,
    Reasoning,
    StreamEvent,
    ToolCall,
    ToolCallRequest,
)
from app.chat.tool_events import (
    AlwaysAllowed,
    Decision,
    ToolCardEvent,
    ToolHostLike,
    ToolInfoLike,
    ToolResultLike,
    TurnEvent,
)
from app.store.models import ToolCard

DEFAULT_ROUNDS = 8  # rounds of calls one answer may use, unless its conversation says otherwise
DENIED = "The user denied this call."
STOPPED = "Stopped: the user stopped the answer."
CANCEL_WAIT_S = 5.0  # after cancel_calls, how long a call may take to come back before it is left behind
ROUNDS_NOTICE = "Stopped after {rounds} rounds of tool calls, the most one answer may use."


def run_tool_turn(
    generate: Callable[[GenerationRequest], Iterator[StreamEvent]],
    request: GenerationRequest,
    host: ToolHostLike,
    consent: Callable[[ToolCallRequest, ToolInfoLike | None], Decision],
    *,
    max_rounds: int = DEFAULT_ROUNDS,
    cancelled: Callable[[], bool] = lambda: False,
    always_allowed: Iterable[str] = (),
    call_timeout_s: float = 60,
    clock: Callable[[], float] = time.time,
    poll_s: float = 0.05,
) -> Iterator[TurnEvent]:
    """Yield the turn's events, ending with one Done for the whole turn.

    ``request.tools`` is filled from ``host.tools()`` unless the caller set it. ``always_allowed``:
    exposed tool names not to ask about (the conversation's "Always allow"). The final Done sums
    the rounds' evaluated, completion and reasoning tokens; its ``prompt_tokens`` is the last
    round's (the context the turn ended at, not the history counted once per round). Its finish
    reason is the last round's, or "tool_rounds" (``max_rounds`` generations and the model still
    asked for calls), or "cancelled".
    """
    if max_rounds < 1:
        raise ValueError(f"max_rounds must be at least 1, not {max_rounds}")
    infos = list(host.tools())
    by_name = {t.exposed_name: t for t in infos}
    if not request.tools and infos:
        request = dataclasses.replace(request, tools=tuple(t.as_openai() for t in infos))
    allowed = set(always_allowed)
    added: list[ChatMessage] = []
    dones: list[Done] = []
    text_len = 0  # the answer's text so far, over all rounds: where the next card sits
    for round_no in range(max_rounds):
        answer: list[str] = []
        reasoning: list[str] = []
        calls: list[ToolCallRequest] = []
        cards: list[ToolCard] = []
        done: Done | None = None
        step = dataclasses.replace(request, messages=(*request.messages, *added))
        for event in generate(step):
            if isinstance(event, ToolCall):
                card = _new_card(event.call, by_name, text_len, round_no, len(cards))
                calls.append(event.call)
                cards.append(card)
                yield ToolCardEvent(card)
            elif isinstance(event, Done):
                done = event
            else:
                if isinstance(event, Answer):
                    answer.append(event.text)
                    text_len += len(event.text)
                elif isinstance(event, Reasoning):
                    reasoning.append(event.text)
                yield event
        if done is None:
            raise RuntimeError("the engine's stream ended without Done")
        dones.append(done)
        if done.finish_reason == "cancelled" or cancelled():
            yield from _settle(cards, STOPPED, clock)
            yield _total(dones, "cancelled")
            return
        if not calls:
            yield _total(dones, done.finish_reason)
            return
        if round_no == max_rounds - 1:
            yield from _settle(cards, f"Not run: {ROUNDS_NOTICE.format(rounds=max_rounds)}", clock)
            yield Notice(ROUNDS_NOTICE.format(rounds=max_rounds), code="tool_rounds")
            yield _total(dones, "tool_rounds")
            return
        replies: list[ChatMessage] = []
        for i, (call, card) in enumerate(zip(calls, cards, strict=True)):
            if cancelled():
                yield from _settle(cards[i:], STOPPED, clock)
                yield _total(dones, "cancelled")
                return
            content = yield from _run_call(
                call, card, by_name, host, consent, allowed, cancelled, call_timeout_s, clock, poll_s
            )
            if content is None:  # stopped while it ran
                yield from _settle(cards[i + 1 :], STOPPED, clock)
                yield _total(dones, "cancelled")
                return
            replies.append(ChatMessage("tool", content, tool_call_id=call.id, name=call.name))
        # This turn's steps keep their reasoning (Qwen3 is sent it back within a tool-using turn).
        added.append(
            ChatMessage("assistant", "".join(answer), reasoning="".join(reasoning), tool_calls=tuple(calls))
        )
        added.extend(replies)
    raise AssertionError("unreachable: the last round returns")


def stored_steps(content: str, cards: Sequence[ToolCard]) -> list[ChatMessage]:
    """An earlier answer that used tools, as the messages it was made of: each round's text and
    calls, then one ``tool`` message per call, then the final text. No reasoning: only the current
    tool-using turn is sent its reasoning back."""
    messages: list[ChatMessage] = []
    at = 0
    for round_no in sorted({c.round for c in cards}):
        group = [c for c in cards if c.round == round_no]
        end = min(max(max(c.text_offset for c in group), at), len(content))
        calls = tuple(
            ToolCallRequest(c.id, c.exposed_name or c.name, dict(c.arguments), raw=c.raw) for c in group
        )
        messages.append(ChatMessage("assistant", content[at:end], tool_calls=calls))
        messages.extend(
            ChatMessage("tool", _stored_reply(c), tool_call_id=c.id, name=c.exposed_name or c.name)
            for c in group
        )
        at = end
    messages.append(ChatMessage("assistant", content[at:]))
    return messages


def _stored_reply(card: ToolCard) -> str:
    if card.state == "denied":
        return DENIED
    if card.is_error and not card.result.strip():
        return "The tool failed without saying why."
    return card.result


def _new_card(
    call: ToolCallRequest,
    by_name: dict[str, ToolInfoLike],
    text_offset: int,
    round_no: int,
    index: int,
) -> ToolCard:
    """A waiting card, or a failed one for a call that cannot run (the model is told why)."""
    info = by_name.get(call.name)
    card = ToolCard(
        id=call.id or f"call_{round_no + 1}_{index + 1}",
        server=info.server if info else "",
        name=info.name if info else call.name,
        arguments=dict(call.arguments) if isinstance(call.arguments, dict) else {},
        raw=call.raw,
        text_offset=text_offset,
        round=round_no,
        exposed_name=call.name,
    )
    why = _not_runnable(call, by_name)
    if why is not None:
        card = dataclasses.replace(card, state="failed", result=why, is_error=True)
    return card


def _not_runnable(call: ToolCallRequest, by_name: dict[str, ToolInfoLike]) -> str | None:
    if call.error is not None:
        return (
            f"The call could not be run: its arguments are not valid JSON ({call.error}). "
            "Write the call again with a JSON object as its arguments."
        )
    if call.name not in by_name:
        names = ", ".join(sorted(by_name)) or "none"
        return f"The call could not be run: there is no tool named {call.name!r}. Available tools: {names}."
    return None


def _run_call(
    call: ToolCallRequest,
    card: ToolCard,
    by_name: dict[str, ToolInfoLike],
    host: ToolHostLike,
    consent: Callable[[ToolCallRequest, ToolInfoLike | None], Decision],
    allowed: set[str],
    cancelled: Callable[[], bool],
    timeout_s: float,
    clock: Callable[[], float],
    poll_s: float,
) -> Generator[TurnEvent, None, str | None]:
    """Ask, run and report one call; returns the ``tool`` message's content (None: stopped)."""
    if card.state == "failed":  # could not run: the card already says why
        return card.result
    info = by_name[call.name]
    if call.name not in allowed:
        decision = consent(call, info)
        if decision == "always":
            allowed.add(call.name)
            yield AlwaysAllowed(call.name, info.server)
        elif decision != "once":  # "deny", and anything unexpected
            yield ToolCardEvent(dataclasses.replace(card, state="denied", ended=clock()))
            return DENIED
    if cancelled():
        yield ToolCardEvent(dataclasses.replace(card, state="failed", result=STOPPED, is_error=True))
        return None
    card = dataclasses.replace(card, state="running", started=clock())
    yield ToolCardEvent(card)
    result = _call_until_cancelled(host, call, timeout_s, cancelled, poll_s)
    if result is None:
        yield ToolCardEvent(
            dataclasses.replace(card, state="failed", result=STOPPED, is_error=True, ended=clock())
        )
        return None
    text, is_error, truncated = result
    yield ToolCardEvent(
        dataclasses.replace(
            card,
            state="failed" if is_error else "done",
            result=text,
            is_error=is_error,
            truncated=truncated,
            ended=clock(),
        )
    )
    return _stored_reply(dataclasses.replace(card, result=text, is_error=is_error))


def _call_until_cancelled(
    host: ToolHostLike,
    call: ToolCallRequest,
    timeout_s: float,
    cancelled: Callable[[], bool],
    poll_s: float,
) -> tuple[str, bool, bool] | None:
    """``host.call`` on a helper thread, so that Stop reaches a call that is still running (then
    ``host.cancel_calls()``, and None)."""
    box: list[tuple[str, bool, bool]] = []
    finished = threading.Event()

    def work() -> None:
        try:
            r: ToolResultLike = host.call(call.name, dict(call.arguments), timeout_s)
            box.append((str(r.text), bool(r.is_error), bool(r.truncated)))
        except Exception as exc:  # the host promises not to raise; a fake or a bug might
            box.append((f"The tool failed: {exc}", True, False))
        finally:
            finished.set()

    threading.Thread(target=work, name=f"tool-call {call.name}", daemon=True).start()
    while not finished.wait(poll_s):
        if cancelled():
            host.cancel_calls()
            finished.wait(CANCEL_WAIT_S)  # let it wind down; a call that ignores cancel is left behind
            return None
    return box[0]


def _settle(cards: Sequence[ToolCard], why: str, clock: Callable[[], float]) -> Iterator[TurnEvent]:
    """Cards still waiting will never run: say so on them."""
    for card in cards:
        if card.state == "waiting":
            yield ToolCardEvent(
                dataclasses.replace(card, state="failed", result=why, is_error=True, ended=clock())
            )


def _total(dones: Sequence[Done], finish_reason: str) -> Done:
    """One Done for the turn: the counts of all rounds."""
    last = dones[-1]
    return dataclasses.replace(
        last,
        finish_reason=finish_reason,
        evaluated_prompt_tokens=sum(d.evaluated_prompt_tokens for d in dones),
        completion_tokens=sum(d.completion_tokens for d in dones),
        reasoning_tokens=sum(d.reasoning_tokens for d in dones),
        ttft_s=dones[0].ttft_s,
        thinking_budget_hit=any(d.thinking_budget_hit for d in dones),
        thought=any(d.thought for d in dones),
    )
