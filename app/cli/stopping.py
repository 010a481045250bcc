"""Stopping the CLI whatever the engine is doing: Ctrl-C asks, a second Ctrl-C or SIGTERM insists.

The first Ctrl-C stops the answer (chat) or the server (serve) the polite way. A second one, or
SIGTERM, kills the engine worker (a call stuck in llama.cpp then fails at once), unwinds as a
KeyboardInterrupt, and if something still holds on — a request thread waiting on a lock, a
template that has not yet hit its limit — ends the process after a grace period, so it is gone
within about two seconds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

GRACE_S = 1.5
EXIT_CANCELLED = 130


def hard_stop(kill: Callable[[], None], code: int = EXIT_CANCELLED, grace_s: float = GRACE_S) -> None:
    """Kill the engine, arm the last-resort exit, and unwind (raises KeyboardInterrupt)."""
    with contextlib.suppress(Exception):
        kill()
    timer = threading.Timer(grace_s, _exit_now, args=(code,))
    timer.daemon = True
    timer.start()
    raise KeyboardInterrupt


def _exit_now(code: int) -> None:
    sys.stderr.write("qwendesk: stopped\n")
    sys.stderr.flush()
    os._exit(code)


@contextlib.contextmanager
def insisting(kill: Callable[[], None], on_first: Callable[[], None] | None = None) -> Iterator[None]:
    """While inside: the first Ctrl-C calls ``on_first`` (or unwinds if there is none); a second one,
    or SIGTERM, is :func:`hard_stop`."""
    pressed = [0]

    def on_sigint(*_: Any) -> None:
        pressed[0] += 1
        if pressed[0] > 1 or on_first is None:
            if pressed[0] > 1:
                hard_stop(kill)
            raise KeyboardInterrupt
        on_first()

    def on_sigterm(*_: Any) -> None:
        hard_stop(kill, 128 + signal.SIGTERM)

    previous_int = signal.signal(signal.SIGINT, on_sigint)
    previous_term = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)
