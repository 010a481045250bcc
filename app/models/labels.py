"""Model facts written for people, the same in the window and the CLI.

Sizes are in decimal units, as the Hugging Face Hub shows them (a 19.9 GB file reads the same
here and there); contexts in thousands, as the model cards name them ("32K", "262K").
"""

from __future__ import annotations


def human_size(n: float) -> str:
    """``19_876_543_210`` → ``"19.9 GB"``."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{int(n)} B"


def ctx_label(n: int) -> str:
    """262,144 → "262K", 32,768 → "32K"."""
    return f"{n // 1000}K"
