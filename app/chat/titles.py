"""A conversation's title: at first its opening question, cut to fit the list; then one the model
writes after its first answer (app.ui.title_writer), unless the user renamed it by hand."""

from __future__ import annotations

from collections.abc import Sequence

from app.backend.protocol import ChatMessage, GenerationRequest

TITLE_CHARS = 60


def title_from(text: str) -> str:
    """The first words of ``text`` on one line, at most TITLE_CHARS characters."""
    line = " ".join(text.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"


# Asked after the first answer, in no-think mode, as one more user turn after the conversation as it
# is sent: the prompt then shares its whole prefix with the next turn, so llama.cpp's KV cache
# makes it cheap (only this instruction and a few tokens are new).
TITLE_INSTRUCTION = (
    "Write a title for this conversation: at most six words, in the language the user writes in, "
    "without quotes or a full stop. Reply with the title only."
)
TITLE_MAX_TOKENS = 24
_PREFIXES = ("title:", "标题：", "标题:")
_TRIM = " \t\"'“”‘’「」『』《》*#`"
_END_PUNCTUATION = ".。!！:：;；,，、"


def title_request(history: Sequence[ChatMessage]) -> GenerationRequest:
    """The no-think request that asks the model for a title of ``history``."""
    return GenerationRequest(
        (*history, ChatMessage("user", TITLE_INSTRUCTION)),
        enable_thinking=False,
        max_tokens=TITLE_MAX_TOKENS,
    )


def clean_title(text: str | None) -> str | None:
    """The model's reply as a list title: its first line, without quotes, Markdown, a "Title:" label
    or a closing full stop; None when nothing usable is left."""
    if not text:
        return None
    line = next((ln for ln in text.splitlines() if ln.strip(_TRIM)), "")
    line = line.strip(_TRIM)
    for prefix in _PREFIXES:
        if line.lower().startswith(prefix):
            line = line[len(prefix) :].strip(_TRIM)
    for mark in ("**", "__", "`"):  # Markdown emphasis and code inside: the list shows plain text
        line = line.replace(mark, "")
    line = line.rstrip(_END_PUNCTUATION).strip(_TRIM)
    return title_from(line) if line else None
