"""Tokenizing prompts so that only the chat template's own text can become control tokens.

llama.cpp parses special-token strings either everywhere (``special=True``) or for user-defined
tokens only (``special=False``: Qwen3's ``<think>``, ``<tool_call>``, ``<tool_response>`` are
user-defined and would still match). Both would let text from a person, a file, a server or a tool
forge a turn (``<|im_end|>\\n<|im_start|>system…``), and llama.cpp's partition of a text at
special-token strings is quadratic in how many it finds (64,000 ``<|im_end|>`` took 12 s).

So the special-token strings are found here, in Python, in linear time: in the template's pieces
each one becomes its token; in message text each one is cut so that no tokenizer sees it whole
(its first character apart from the rest), and the text between is tokenized with
``special=False`` — with no special-token string left in it, llama.cpp's partition finds nothing.
Runs of plain text (the template's text between its control tokens and the messages' text) are
tokenized together, exactly as tokenizing the whole prompt would, so a normal chat's tokens are
what they always were.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

SPECIAL_ATTRS = 8 | 16  # LLAMA_TOKEN_ATTR_CONTROL | LLAMA_TOKEN_ATTR_USER_DEFINED
BLOCK = 65_536  # characters tokenized at once when a text is long (so a limit can stop early)


class TokenizingCancelled(Exception):
    """The engine was asked to stop while a long text was being tokenized."""


class PromptTokenizer:
    """The special-token strings of one loaded vocabulary, and tokenizing with them under control."""

    def __init__(self, llm: Any, lc: Any, should_stop: Callable[[], bool] = lambda: False) -> None:
        self.llm = llm
        self.should_stop = should_stop  # checked between blocks of a long text (cancel)
        vocab = llm._model.vocab
        specials: dict[str, int] = {}
        longest = 1
        for tid in range(int(lc.llama_vocab_n_tokens(vocab))):
            raw = lc.llama_vocab_get_text(vocab, tid) or b""
            text = raw.decode("utf-8", errors="replace")
            if int(lc.llama_vocab_get_attr(vocab, tid)) & SPECIAL_ATTRS:
                if text:
                    specials.setdefault(text, tid)
            else:
                longest = max(longest, len(raw))
        self.special_ids = specials
        # The most bytes one ordinary token stands for (its text is at least as long as its bytes in
        # a byte-level vocabulary): a text needs at least len(bytes) / this many tokens.
        self.max_token_bytes = longest
        alternatives = sorted(specials, key=len, reverse=True)  # the longest match wins, as in llama.cpp
        self._special = re.compile("|".join(map(re.escape, alternatives))) if alternatives else None

    def plain(self, text: str, limit: int | None = None, *, cancellable: bool = True) -> list[int]:
        """``text`` as ordinary text: no special token, whatever it spells. With ``limit``, stops
        soon after that many tokens (long text is tokenized a block at a time); ``cancellable``:
        raises TokenizingCancelled between blocks when the engine is asked to stop."""
        out: list[int] = []
        for block in self._blocks(text):
            if cancellable and self.should_stop():
                raise TokenizingCancelled
            out += self._tokenize(block)
            if limit is not None and len(out) > limit:
                break
        return out

    def _blocks(self, text: str) -> Iterable[str]:
        """``text`` in pieces that contain no special-token string (each is cut after its first
        character) and are at most about BLOCK characters, cut after a line end where possible."""
        pos = 0
        cuts = (m.start() + 1 for m in self._special.finditer(text)) if self._special else iter(())
        for cut in (*cuts, len(text)):
            while cut - pos > BLOCK:
                line = text.rfind("\n", pos + BLOCK // 2, pos + BLOCK)
                end = line + 1 if line >= 0 else pos + BLOCK
                yield text[pos:end]
                pos = end
            if cut > pos:
                yield text[pos:cut]
            pos = cut

    def prompt(
        self, pieces: Sequence[tuple[bool, str]], *, add_bos: bool, limit: int | None = None
    ) -> list[int]:
        """A prompt's tokens: the template's pieces with their special tokens, the messages as plain
        text. With ``limit``, stops soon after that many tokens (the caller refuses the prompt)."""
        out: list[int] = [self.llm.token_bos()] if add_bos else []
        for special, run in self._runs(pieces):
            if special is not None:
                out.append(special)
            else:
                # A prompt is bounded by the caller (its size against the context), and a generation
                # stops on cancel at its first evaluation: not cancelled while it is tokenized.
                out += self.plain(run, None if limit is None else limit - len(out), cancellable=False)
            if limit is not None and len(out) > limit:
                break
        return out

    def _runs(self, pieces: Iterable[tuple[bool, str]]) -> Iterable[tuple[int | None, str]]:
        """(token id, "") for each of the template's special tokens, (None, text) for the plain runs
        between them (template text and message text together)."""
        run: list[str] = []
        for from_template, text in pieces:
            if not from_template or self._special is None:
                run.append(text)
                continue
            pos = 0
            for m in self._special.finditer(text):
                run.append(text[pos : m.start()])
                if any(run):
                    yield None, "".join(run)
                run = []
                yield self.special_ids[m.group()], ""
                pos = m.end()
            run.append(text[pos:])
        if any(run):
            yield None, "".join(run)

    def _tokenize(self, text: str) -> list[int]:
        if not text:
            return []
        return list(self.llm.tokenize(text.encode("utf-8", errors="replace"), add_bos=False, special=False))
