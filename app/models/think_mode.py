"""How a GGUF thinks: hybrid (the think toggle switches it), never, or always.

The original Qwen3 models are hybrid: ``enable_thinking=False`` makes their template
close an empty think block. The 2507 generation has one mode per model:
Instruct-2507 never thinks (its template ignores ``enable_thinking``), Thinking-2507
always does (its template opens ``<think>`` itself, so the output starts inside
the reasoning). The mode is read from the file — its chat template first, rendered
both ways, then its name metadata when it carries no template — so a renamed or
re-quantized copy behaves like the original.
"""

from __future__ import annotations

import re

from app.backend.chat_template import ChatTemplate, prompt_opens_reasoning
from app.backend.errors import TemplateError
from app.backend.protocol import ChatMessage
from app.backend.think_split import OPEN_TAG
from app.models.catalog import ThinkMode
from app.models.gguf_file import GGUFInfo

_PROBE = (ChatMessage("user", "Hi"),)
_NAMED_MODES: tuple[tuple[re.Pattern[str], ThinkMode], ...] = (
    (re.compile(r"instruct[-_ ]?2507", re.IGNORECASE), "never"),
    (re.compile(r"thinking[-_ ]?2507", re.IGNORECASE), "always"),
)


def template_think_mode(template: ChatTemplate) -> ThinkMode | None:
    """What the template does with ``enable_thinking``; None if it cannot be rendered."""
    try:
        on = template.render(_PROBE, enable_thinking=True)
        off = template.render(_PROBE, enable_thinking=False)
    except TemplateError:
        return None
    if prompt_opens_reasoning(on) and prompt_opens_reasoning(off):
        return "always"
    if on != off:
        return "hybrid"
    return "hybrid" if OPEN_TAG in on else "never"


def name_think_mode(*names: str | None) -> ThinkMode | None:
    """The mode a 2507 model's name says (``…-Instruct-2507`` never, ``…-Thinking-2507`` always)."""
    for name in names:
        for pattern, mode in _NAMED_MODES:
            if name and pattern.search(name):
                return mode
    return None


def think_mode(info: GGUFInfo, template: ChatTemplate | None = None) -> ThinkMode:
    """The file's think behaviour. Non-Qwen3 files are judged by their template alone."""
    if info.chat_template is not None:
        tpl = template or ChatTemplate(
            info.chat_template, origin=str(info.path), bos_token=info.bos_token, eos_token=info.eos_token
        )
        found = template_think_mode(tpl)
        if found is not None:
            return found
    return name_think_mode(info.name, info.path.name) or "hybrid"


def effective_thinking(mode: ThinkMode, wanted: bool) -> bool:
    """Whether a turn thinks: the toggle for hybrid models, the model's own mode otherwise."""
    return wanted if mode == "hybrid" else mode == "always"


def describe(mode: ThinkMode) -> str:
    """One line for notices and tooltips."""
    return {
        "hybrid": "Thinking can be switched on and off per conversation.",
        "never": "This model never thinks (an Instruct-2507 model): it always answers directly.",
        "always": "This model always thinks (a Thinking-2507 model); the thinking budget still applies.",
    }[mode]
