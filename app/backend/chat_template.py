"""Render a GGUF's chat template safely, with Qwen3's ``enable_thinking`` switch.

llama-cpp-python 0.3.36 cannot pass ``enable_thinking`` per call, so QwenDesk
renders the prompt itself. The template comes from a model file, i.e. from a
stranger: it is rendered in Jinja2's ``ImmutableSandboxedEnvironment``
(CVE-2024-34359 was an unsandboxed template in a GGUF running code).

The history handed to a template holds final answers only: earlier reasoning is
removed here, whatever the template would have done with it (Qwen3's card:
"the historical model output should only include the final output part").
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
from app.backend.template_limits import BoundedEnvironment, TemplateLimitError
from app.backend.think_split import CLOSE_TAG, OPEN_TAG

OUTPUT_FLOOR = 1_000_000  # characters a prompt may have beyond four times its messages' text

# QwenDesk's own ChatML + think template, for GGUFs that carry none.
BUILTIN_QWEN3_TEMPLATE = """\
{%- for m in messages -%}
{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}
{{ '<|im_start|>assistant\\n' }}
{%- if enable_thinking is defined and not enable_thinking -%}
{{ '<think>\\n\\n</think>\\n\\n' }}
{%- endif -%}
{%- endif -%}
"""

_THINK_BLOCK = re.compile(re.escape(OPEN_TAG) + r".*?" + re.escape(CLOSE_TAG), re.DOTALL)
ROLES = frozenset({"system", "user", "assistant"})


def strip_reasoning(text: str) -> str:
    """The final answer only: drop ``<think>…</think>`` blocks and an unclosed one."""
    text = _THINK_BLOCK.sub("", text)
    if CLOSE_TAG in text:  # reasoning whose opening tag was in the prompt
        text = text.split(CLOSE_TAG)[-1]
    if OPEN_TAG in text:  # a block never closed: everything after it is reasoning
        text = text.split(OPEN_TAG)[0]
    return text.strip()


def history_for_template(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    """Plain dicts with role and content only; assistant turns without reasoning."""
    out = []
    for m in messages:
        if m.role not in ROLES:
            raise TemplateError(f"Unknown message role {m.role!r}: use system, user or assistant.")
        content = strip_reasoning(m.content) if m.role == "assistant" else m.content
        out.append({"role": m.role, "content": content})
    return out


def _raise_exception(message: str) -> None:
    raise TemplateError(f"The chat template refused the conversation: {message}")


def _tojson(value: Any, indent: int | None = None) -> str:
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

    def render(self, messages: Sequence[ChatMessage], *, enable_thinking: bool) -> str:
        """The prompt text for the next assistant turn."""
        return self._render(history_for_template(messages), enable_thinking)

    def render_pieces(self, messages: Sequence[ChatMessage], *, enable_thinking: bool) -> PromptPieces:
        """The prompt cut into the template's own text and the messages' text, which must reach the
        tokenizer as plain text: a "<|im_start|>system" typed by a person, found in a file or sent by a
        server is characters, never a control token (only the template's scaffolding is parsed).

        The template is rendered twice, once with the messages and once with a random marker in place
        of each message's text; the scaffolding is what surrounds the markers, and the real render
        must consist of exactly that scaffolding with the messages' text (as the template wrote it)
        between. A template whose scaffolding depends on the text so that this cannot be checked is
        refused rather than trusted.
        """
        history = history_for_template(messages)
        real = self._render(history, enable_thinking)
        nonce = secrets.token_hex(8)
        marked = [{**h, "content": f"{MARK_OPEN}{nonce}:{i}{MARK_CLOSE}"} for i, h in enumerate(history)]
        pieces = _align(real, self._render(marked, enable_thinking), nonce, [h["content"] for h in history])
        if pieces is None:
            raise TemplateError(
                f"The chat template in {self.origin} changes the conversation's text in a way QwenDesk "
                "cannot check, so it cannot tell the template's control tokens from the messages' text."
            )
        return pieces

    def _render(self, history: list[dict[str, str]], enable_thinking: bool) -> str:
        # The prompt holds the messages and some scaffolding around each: far more is a runaway.
        cap = OUTPUT_FLOOR + 4 * sum(len(h["content"]) for h in history)
        try:
            text = self._env.render(
                self._template,
                cap,
                messages=history,
                add_generation_prompt=True,
                enable_thinking=enable_thinking,
                bos_token=self.bos_token,
                eos_token=self.eos_token,
                tools=None,
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
