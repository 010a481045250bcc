"""Render a GGUF's chat template safely, with Qwen3's ``enable_thinking`` switch.

llama-cpp-python 0.3.36 cannot pass ``enable_thinking`` per call, so QwenDesk
renders the prompt itself. The template comes from a model file, i.e. from a
stranger: it is rendered in Jinja2's ``ImmutableSandboxedEnvironment``
(CVE-2024-34359 was an unsandboxed template in a GGUF running code).

The history handed to a template holds final answers only: earlier reasoning is
removed here, whatever the template would have done with it (Qwen3's card:
"the historical model output should only include the final output part"). The one
exception is the current tool-using turn (the assistant steps after the last user
message), whose reasoning goes back as ``reasoning_content``, as the official
template's ``last_query_index`` expects. Tools, calls and tool results are passed in
the OpenAI form the official template reads (``tools``, ``tool_calls``, role ``tool``).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jinja2
from jinja2.sandbox import SecurityError

from app.backend.errors import TemplateError
from app.backend.protocol import ChatMessage
from app.backend.qwen3_template import QWEN3_TEMPLATE
from app.backend.template_limits import BoundedEnvironment, TemplateLimitError
from app.backend.think_split import CLOSE_TAG, OPEN_TAG

OUTPUT_FLOOR = 1_000_000  # characters a prompt may have beyond four times its messages' text

# Qwen3's official template (tools included) also serves GGUFs that carry none.
BUILTIN_QWEN3_TEMPLATE = QWEN3_TEMPLATE

_THINK_BLOCK = re.compile(re.escape(OPEN_TAG) + r".*?" + re.escape(CLOSE_TAG), re.DOTALL)
ROLES = frozenset({"system", "user", "assistant", "tool"})


def strip_reasoning(text: str) -> str:
    """The final answer only: drop ``<think>…</think>`` blocks and an unclosed one."""
    text = _THINK_BLOCK.sub("", text)
    if CLOSE_TAG in text:  # reasoning whose opening tag was in the prompt
        text = text.split(CLOSE_TAG)[-1]
    if OPEN_TAG in text:  # a block never closed: everything after it is reasoning
        text = text.split(OPEN_TAG)[0]
    return text.strip()


class _Slots:
    """How the history's text reaches the template: as it is (the real render)."""

    def text(self, value: str) -> str:
        return value

    def json(self, value: Any) -> Any:
        return value


class _MarkedJson(dict[str, Any]):
    """A JSON object (a tool, a call's arguments) that ``tojson`` writes as its marker."""

    marker = ""


class _Marks(_Slots):
    """Each piece of message text replaced by a numbered marker (the marked render); ``contents``
    holds the real text of each, as the template writes it."""

    def __init__(self, nonce: str) -> None:
        self.nonce = nonce
        self.contents: list[str] = []

    def _mark(self, real: str) -> str:
        self.contents.append(real)
        return f"{MARK_OPEN}{self.nonce}:{len(self.contents) - 1}{MARK_CLOSE}"

    def text(self, value: str) -> str:
        return self._mark(value) if value else ""  # empty stays empty: templates test it for truth

    def json(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        marked = _MarkedJson(value)
        marked.marker = self._mark(_tojson(value))
        return marked


def _template_inputs(
    messages: Sequence[ChatMessage], tools: Sequence[dict[str, Any]], slots: _Slots
) -> tuple[list[dict[str, Any]], list[Any] | None]:
    """The messages and tools as the template gets them (the official template's field names).

    Assistant turns lose their reasoning, except those after the last user message (the steps of
    the current tool-using turn, as the official template's ``last_query_index`` keeps them).
    """
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
    out: list[dict[str, Any]] = []
    for i, m in enumerate(messages):
        if m.role not in ROLES:
            raise TemplateError(f"Unknown message role {m.role!r}: use system, user, assistant or tool.")
        content = strip_reasoning(m.content) if m.role == "assistant" else m.content
        item: dict[str, Any] = {"role": m.role, "content": slots.text(content)}
        if m.role == "assistant" and i > last_user and m.reasoning.strip():
            item["reasoning_content"] = slots.text(m.reasoning.strip())
        if m.role == "assistant" and m.tool_calls:
            item["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": slots.text(c.name), "arguments": slots.json(dict(c.arguments))},
                }
                for c in m.tool_calls
            ]
        if m.role == "tool":
            if m.tool_call_id is not None:
                item["tool_call_id"] = m.tool_call_id
            if m.name is not None:
                item["name"] = slots.text(m.name)
        out.append(item)
    return out, [slots.json(t) for t in tools] if tools else None


def history_for_template(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """The history as the template gets it: assistant turns without reasoning (but for the steps of
    the current tool-using turn), tool calls in the OpenAI form."""
    return _template_inputs(messages, (), _Slots())[0]


def _uses_tools(messages: Sequence[ChatMessage], tools: Sequence[dict[str, Any]]) -> bool:
    return bool(tools) or any(m.role == "tool" or m.tool_calls for m in messages)


def _raise_exception(message: str) -> None:
    raise TemplateError(f"The chat template refused the conversation: {message}")


def _tojson(value: Any, indent: int | None = None) -> str:
    if isinstance(value, _MarkedJson):
        return value.marker
    return json.dumps(value, ensure_ascii=False, indent=indent)


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


class ChatTemplate:
    """A compiled chat template plus what rendering it needs."""

    def __init__(self, source: str | None, *, origin: str, bos_token: str = "", eos_token: str = "") -> None:
        self.builtin = not source
        self.source = source or BUILTIN_QWEN3_TEMPLATE
        self.origin = "built-in Qwen3 template" if self.builtin else origin
        self.bos_token = bos_token
        self.eos_token = eos_token
        self._fallback: ChatTemplate | None = None
        # The sandbox, with limits on time, sizes and memory (app.backend.template_limits).
        env = self._env = BoundedEnvironment(trim_blocks=True, lstrip_blocks=True, autoescape=False)
        env.filters["tojson"] = _tojson
        env.globals["raise_exception"] = _raise_exception
        env.globals["strftime_now"] = _strftime_now
        try:
            self._template = env.from_string(self.source)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                f"The chat template in {self.origin} has a syntax error at line {exc.lineno}: {exc.message}"
            ) from None
        except (TemplateLimitError, RecursionError, MemoryError) as exc:
            raise TemplateError(f"The chat template in {self.origin} was stopped: {exc}.") from None

    def render(
        self, messages: Sequence[ChatMessage], *, enable_thinking: bool, tools: Sequence[dict[str, Any]] = ()
    ) -> str:
        """The prompt text for the next assistant turn."""
        if self._tool_template(messages, tools) is not self:
            return self._tool_template(messages, tools).render(
                messages, enable_thinking=enable_thinking, tools=tools
            )
        return self._render(*_template_inputs(messages, tools, _Slots()), enable_thinking)

    def render_pieces(
        self, messages: Sequence[ChatMessage], *, enable_thinking: bool, tools: Sequence[dict[str, Any]] = ()
    ) -> PromptPieces:
        """The prompt cut into the template's own text and the messages' text, which must reach the
        tokenizer as plain text: a "<|im_start|>system" typed by a person, found in a file or sent by a
        server is characters, never a control token (only the template's scaffolding is parsed).
        Tool results, call names and arguments, and the tools' JSON are message text too (a tool's
        description comes from a server QwenDesk does not control).

        The template is rendered twice, once with the messages and once with a random marker in place
        of each message's text; the scaffolding is what surrounds the markers, and the real render
        must consist of exactly that scaffolding with the messages' text (as the template wrote it)
        between. A template whose scaffolding depends on the text so that this cannot be checked is
        refused rather than trusted.
        """
        template = self._tool_template(messages, tools)
        if template is not self:
            return template.render_pieces(messages, enable_thinking=enable_thinking, tools=tools)
        real = self._render(*_template_inputs(messages, tools, _Slots()), enable_thinking)
        marks = _Marks(secrets.token_hex(8))
        marked = self._render(*_template_inputs(messages, tools, marks), enable_thinking)
        pieces = _align(real, marked, marks.nonce, marks.contents)
        if pieces is None:
            raise TemplateError(
                f"The chat template in {self.origin} changes the conversation's text in a way QwenDesk "
                "cannot check, so it cannot tell the template's control tokens from the messages' text."
            )
        return pieces

    @property
    def handles_tools(self) -> bool:
        """Whether the template has tool parts (the tools block, calls, tool results)."""
        return all(word in self.source for word in ("tools", "tool_calls", "tool_response"))

    def _tool_template(
        self, messages: Sequence[ChatMessage], tools: Sequence[dict[str, Any]]
    ) -> ChatTemplate:
        """Self, or for a tool turn on a template without tool parts, Qwen3's official template (the
        tools would otherwise silently vanish from the prompt)."""
        if self.handles_tools or not _uses_tools(messages, tools):
            return self
        if self._fallback is None:
            self._fallback = ChatTemplate(
                QWEN3_TEMPLATE,
                origin=f"{self.origin} (Qwen3's template, for tools)",
                bos_token=self.bos_token,
                eos_token=self.eos_token,
            )
            self._fallback.builtin = self.builtin
            self._fallback.origin = f"Qwen3's official template (for tools; {self.origin} has no tool parts)"
        return self._fallback

    def _render(self, history: list[dict[str, Any]], tools: list[Any] | None, enable_thinking: bool) -> str:
        # The prompt holds the messages and some scaffolding around each: far more is a runaway.
        cap = OUTPUT_FLOOR + 4 * len(json.dumps([history, tools], ensure_ascii=False, default=str))
        try:
            text = self._env.render(
                self._template,
                cap,
                messages=history,
                add_generation_prompt=True,
                enable_thinking=enable_thinking,
                bos_token=self.bos_token,
                eos_token=self.eos_token,
                tools=tools,
            )
        except TemplateError:
            raise
        except TemplateLimitError as exc:
            raise TemplateError(f"The chat template in {self.origin} was stopped: {exc}.") from None
        except SecurityError as exc:
            raise TemplateError(
                f"The chat template in {self.origin} tried to reach Python internals and was stopped: {exc}"
            ) from None
        except Exception as exc:  # a template is foreign code: any failure is its failure
            raise TemplateError(
                f"The chat template in {self.origin} failed: {type(exc).__name__}: {exc}"
            ) from None
        if not isinstance(text, str) or not text.strip():
            raise TemplateError(f"The chat template in {self.origin} rendered an empty prompt.")
        return text


MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"  # private-use characters around a marker's nonce


@dataclass(frozen=True)
class PromptPieces:
    """A rendered prompt as (is the template's own text, text) pieces, in order."""

    pieces: tuple[tuple[bool, str], ...]

    @property
    def text(self) -> str:
        return "".join(text for _, text in self.pieces)


def _align(real: str, marked: str, nonce: str, contents: Sequence[str]) -> PromptPieces | None:
    """Cut ``real`` into the scaffolding of ``marked`` and the messages' text between; None if
    ``real`` is not that scaffolding with some text in each marker's place."""
    parts = re.split(re.escape(MARK_OPEN + nonce) + r":(\d+)" + re.escape(MARK_CLOSE), marked)
    scaffolding, indexes = parts[0::2], [int(i) for i in parts[1::2]]
    if any(i >= len(contents) for i in indexes):
        return None
    pieces: list[tuple[bool, str]] = []
    pos = 0
    for k, piece in enumerate(scaffolding):
        if not real.startswith(piece, pos):
            return None
        if piece:
            pieces.append((True, piece))
        pos += len(piece)
        if k == len(indexes):
            break
        content = contents[indexes[k]]
        if real.startswith(content, pos):
            end = pos + len(content)
        else:  # the template changed the text (trimmed it, say): it is what lies before what follows
            following = scaffolding[k + 1]
            last = k + 1 == len(indexes)
            end = real.find(following, pos) if following else (len(real) if last else -1)
            if end < 0:
                return None
        if end > pos:
            pieces.append((False, real[pos:end]))
        pos = end
    return PromptPieces(tuple(pieces)) if pos == len(real) else None


def prompt_opens_reasoning(prompt: str) -> bool:
    """True when the prompt itself ends inside an open ``<think>`` block.

    Some Qwen3 variants' templates start the assistant turn with ``<think>\\n``,
    so the model's output begins in the middle of its reasoning.
    """
    return prompt.rstrip().endswith(OPEN_TAG)
