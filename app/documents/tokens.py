"""A conservative token estimate, for when the model's own tokenizer is not at hand.

Chunk sizes and the whole-document-or-retrieval decision need token counts before (or
without) a loaded model, and asking the engine's worker to tokenize a 300-page document would
cost more than the estimate is worth. Qwen3's tokenizer spends about one token per 1.4 Chinese
characters and one per ~4 characters of English; counting one token per CJK character and one
per 3.5 other characters errs on the side of more tokens, so a prompt judged to fit does fit.
Callers with the real tokenizer pass their own ``count_tokens``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

TokenCounter = Callable[[str], int]

# Han (with extension A and compatibility), kana, Hangul, CJK and fullwidth punctuation.
CJK_CLASS = "\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_CJK = re.compile(f"[{CJK_CLASS}]")
CHARS_PER_TOKEN = 3.5


def estimate_tokens(text: str) -> int:
    """Tokens ``text`` will take at most, roughly: CJK characters 1 each, the rest 1 per 3.5 chars."""
    cjk = len(_CJK.findall(text))
    return cjk + math.ceil((len(text) - cjk) / CHARS_PER_TOKEN)
