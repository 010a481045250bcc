"""Plain text files: which encoding, and is it text at all.

Chinese users' files come in UTF-8, UTF-16 (Windows Notepad's "Unicode") or GB18030/GBK
(older Windows in China), often without a byte-order mark; decoding them all as UTF-8 with
replacement characters would feed the model garbage. The order of the checks:

1. a byte-order mark (UTF-8, UTF-16 or UTF-32) decides;
2. UTF-16 without a BOM shows as NUL bytes on one parity only (ASCII's high byte);
3. any other NUL byte means a binary file behind a text extension;
4. strict UTF-8 (an incomplete sequence at the very end is a cut-off file, still UTF-8);
5. GB18030, if the decoded text looks like Chinese: its two-byte characters should mostly
   have a trail byte ≥ 0x80, as GB2312's common characters do; Latin-1 text misread as
   GB18030 pairs an accented letter with the following ASCII letter instead;
6. Windows-1252, then Latin-1 (which decodes anything).

Whatever decodes is then refused as binary if more than a few percent of it are control
characters.
"""

from __future__ import annotations

import codecs
import unicodedata

from app.documents.errors import DocumentError

SAMPLE = 1 << 16  # bytes looked at for the UTF-16 and binary heuristics
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v\x1b")
_MAX_CONTROL_RATIO = 0.02
_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """``(text, encoding)`` for the bytes of a text file; DocumentError("binary") if they are not text."""
    text, encoding = _decode(data, name)
    if text.startswith("\ufeff"):
        text = text[1:]
    if _looks_binary(text):
        raise _binary(name)
    return text, encoding


def _decode(data: bytes, name: str) -> tuple[str, str]:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace"), codec.replace("-sig", "")
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return data.decode(utf16, errors="replace"), utf16
    if b"\0" in data:
        raise _binary(name)
    for codec in ("utf-8", "gb18030"):
        text = _strict(data, codec)
        if text is not None and (codec == "utf-8" or _plausible_gb18030(text)):
            return text, codec
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _strict(data: bytes, codec: str) -> str | None:
    """Decode strictly, forgiving only a multi-byte character cut off by the end of the file.

    The cut is forgiven only where the rest already proved the codec (it has non-ASCII
    characters): "café" in Latin-1 ends in a byte that also starts a UTF-8 sequence.
    """
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        if exc.start < len(data) - 3 or exc.end < len(data):
            return None
        try:
            head = data[: exc.start].decode(codec)
        except UnicodeDecodeError:
            return None
        return head + "\ufffd" if not head.isascii() else None


def _utf16_without_bom(data: bytes) -> str | None:
    """ "utf-16-le"/"utf-16-be" when NULs sit on one parity only and the result reads as text."""
    sample = data[: min(len(data), SAMPLE) & ~1]  # whole code units only
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0 and even == 0:
        codec = "utf-16-le"  # "A" is 41 00
    elif even > 0 and odd == 0:
        codec = "utf-16-be"
    else:
        return None
    try:
        text = sample.decode(codec)
    except UnicodeDecodeError:
        return None
    return codec if not _looks_binary(text, unassigned_too=True) else None


def _plausible_gb18030(text: str) -> bool:
    wide = [ch for ch in text[:SAMPLE] if ord(ch) > 0x7F]
    if not wide:
        return True
    good = 0
    for ch in wide:
        encoded = ch.encode("gb18030")
        if len(encoded) == 2 and encoded[1] >= 0x80:
            good += 1
    return good >= 0.6 * len(wide)


def _looks_binary(text: str, *, unassigned_too: bool = False) -> bool:
    sample = text[:SAMPLE]
    if not sample:
        return False
    bad = 0
    for ch in sample:
        if ch < " " or "\x7f" <= ch < "\xa0":
            bad += ch not in _ALLOWED_CONTROLS
        elif unassigned_too and unicodedata.category(ch) in ("Cn", "Co", "Cs"):
            bad += 1
    return bad > _MAX_CONTROL_RATIO * len(sample)


def _binary(name: str) -> DocumentError:
    return DocumentError(
        "binary", f"{name} is not a text file (binary content), although its name says it is.", file=name
    )
