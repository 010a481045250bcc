"""From a question to search terms, and ranking without an index.

The chunk index is SQLite FTS5 with the trigram tokenizer (``app.store``): it matches any
substring of three or more characters, so it works for Chinese, which has no spaces for a
word tokenizer (unicode61) to split on. A question becomes an OR of quoted phrases:

* English (and other spaced scripts): words of 3+ characters that are not stop words, with a
  light suffix strip ("launches" → "launch"), since a trigram phrase matches inside words;
* CJK: each run of Han/kana/Hangul split into overlapping 3-character grams ("夜莺计划的" →
  "夜莺计", "莺计划", "计划的"): real words are two to four characters, and the grams
  that span a word and its neighbour simply match nothing and cost nothing.

bm25 weighs the grams that hit. Two-character CJK runs (many words are two characters)
cannot be trigram-matched; they, and every term where this SQLite has no trigram
tokenizer, are ranked by :func:`rank_texts`, the same BM25 computed in Python over the
conversation's chunks (a conversation holds a few thousand chunks at most).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from app.documents.tokens import CJK_CLASS

FTS_MIN_CHARS = 3
_CJK_RUN = re.compile(f"[{CJK_CLASS}]+")
_CJK_PUNCT = re.compile("[\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]+")
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
_STOPWORDS = """
    a about above after again against all also am an and any are aren as at be because been before being
    below between both but by can cannot could did didn do does doesn doing don down during each either
    else ever few for from further get got had has have having he her here hers herself him himself his
    how however i if in into is isn it its itself just least less let like many may me might more most
    much must my myself neither no nor not now of off on once only or other ought our ours ourselves out
    over own please same shall she should so some such tell than that the their theirs them themselves
    then there these they this those through to too under until up upon us very was wasn we were weren
    what whatever when where whether which while who whom whose why will with within without would you
    your yours yourself yourselves document documents file files page pages say says said according
    explain describe give show find list summarize summarise text attached
"""
STOPWORDS = frozenset(_STOPWORDS.split())
_POSSESSIVE = re.compile(r"['’]s?$")
_SUFFIXES = ("ies", "es", "s", "ing", "ed")
BM25_K1, BM25_B = 1.2, 0.75


def query_terms(question: str) -> list[str]:
    """Search terms for ``question``, lower-cased, without duplicates, in order."""
    terms: list[str] = []
    for run in _CJK_RUN.findall(question):
        for part in _CJK_PUNCT.split(run):
            if len(part) >= FTS_MIN_CHARS:
                terms.extend(part[i : i + 3] for i in range(len(part) - 2))
            elif len(part) == 2:
                terms.append(part)
    for word in _WORD.findall(_CJK_RUN.sub(" ", question)):
        w = _POSSESSIVE.sub("", word.lower())
        if w in STOPWORDS or len(w) < FTS_MIN_CHARS:
            continue
        terms.append(_stem(w))
    return list(dict.fromkeys(terms))


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def fts_query(terms: Sequence[str]) -> str | None:
    """An FTS5 MATCH expression: the 3+-character terms as quoted phrases, OR-ed; None if none."""
    phrases = ['"' + t.replace('"', '""') + '"' for t in terms if len(t) >= FTS_MIN_CHARS]
    return " OR ".join(phrases) if phrases else None


def rank_texts(terms: Sequence[str], texts: Sequence[str]) -> list[tuple[int, float]]:
    """``(index, score)`` of the texts that contain any term, best first (BM25, substring counts)."""
    if not terms or not texts:
        return []
    lowered = [t.lower() for t in texts]
    lengths = [len(t) for t in lowered]
    avg = sum(lengths) / len(lengths) or 1.0
    n = len(lowered)
    scores = [0.0] * n
    for term in terms:
        counts = [t.count(term) for t in lowered]
        df = sum(1 for c in counts if c)
        if not df:
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        for i, tf in enumerate(counts):
            if tf:
                norm = tf + BM25_K1 * (1 - BM25_B + BM25_B * lengths[i] / avg)
                scores[i] += idf * tf * (BM25_K1 + 1) / norm
    ranked = [(i, s) for i, s in enumerate(scores) if s > 0]
    ranked.sort(key=lambda item: (-item[1], item[0]))
    return ranked
