"""A waiting time as people say it: "about 40 s", "about 4 min", "about 1 h 10 min"."""

from __future__ import annotations


def about(seconds: float) -> str:
    s = max(0, round(seconds))
    if s < 60:
        return f"about {max(1, s)} s"
    minutes = round(s / 60)
    if minutes < 60:
        return f"about {minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"about {hours} h {rest} min" if rest else f"about {hours} h"
