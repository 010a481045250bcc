"""A conservative token estimate, for when the model's own tokenizer is not at hand.

Chunk sizes and the whole-document-or-retrieval decision need token counts before (or
without) a loaded model, and asking the engine's worker to tokenize a 300-page document would
cost more than the estimate is worth. Qwen3's tokenizer spends about one token per 1.4 Chinese
characters and one per ~4 characters of English; counting one token per CJK character and one
per 3.5 other characters errs on the side of more tokens, so a prompt judged to fit does fit.
Callers with the real tokenizer pass their own ``count_tokens``: a :class:`ModelTokens` counts
many texts in one call (one round trip to the engine's worker), and :func:`count_all` uses that
where a counter has it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

TokenCounter = Callable[[str], int]

# Han (with extension A and compatibility), kana, Hangul, CJK and fullwidth punctuation.
CJK_CLASS = "\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_CJK = re.compile(f"[{CJK_CLASS}]")
CHARS_PER_TOKEN = 3.5


def estimate_tokens(text: str) -> int:
    """Tokens ``text`` will take at most, roughly: CJK characters 1 each, the rest 1 per 3.5 chars."""
    cjk = len(_CJK.findall(text))
    return cjk + math.ceil((len(text) - cjk) / CHARS_PER_TOKEN)


class ModelTokens:
    """A :data:`TokenCounter` backed by the model's own tokenizer (``Engine.count_tokens``)."""

    def __init__(self, count_many: Callable[[Sequence[str]], list[int]]) -> None:
        self.many = count_many

    def __call__(self, text: str) -> int:
        return self.many([text])[0]


def count_all(count: TokenCounter, texts: Sequence[str]) -> list[int]:
    """Each text's tokens: in one call where the counter takes many (a :class:`ModelTokens`)."""
    many = getattr(count, "many", None)
    if many is not None:
        return list(many(list(texts))) if texts else []
    return [count(text) for text in texts]


MESSAGE_OVERHEAD = 8  # tokens the chat template adds around each message (<|im_start|>role … <|im_end|>)


def history_tokens(count: TokenCounter, history: Sequence[str]) -> int:
    """What the earlier messages take in the prompt: their text, counted at once, and the template."""
    return sum(count_all(count, list(history))) + MESSAGE_OVERHEAD * len(history)
