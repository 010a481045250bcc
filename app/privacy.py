"""QwenDesk reaches the network only when the user asks: a model listing or download, a server, an MCP server.

Everything else runs with huggingface_hub's offline mode on (``HF_HUB_OFFLINE``,
inherited by the engine worker and any library that consults it) and its
telemetry off. The model manager's listing and the download child switch the
offline mode off for exactly what the user asked for, through ``hub_access``.
There is no telemetry, no update check, and nothing (fonts, images) is loaded
from the web: answers' images become links (app.render).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",  # never send a stored token unless a download needs it
    "DO_NOT_TRACK": "1",
}
_lock = threading.Lock()
_open = 0  # hub_access blocks running now


def go_offline() -> None:
    """Offline mode for this process and every process it starts (call first thing)."""
    os.environ.update(OFFLINE_ENV)
    _set_hub_offline(True)


@contextmanager
def hub_access() -> Iterator[None]:
    """Let huggingface_hub reach the Hub inside this block (a listing or a download the user asked for)."""
    global _open
    with _lock:
        _open += 1
        _set_hub_offline(False)
    try:
        yield
    finally:
        with _lock:
            _open -= 1
            if _open == 0 and os.environ.get("HF_HUB_OFFLINE") == "1":
                _set_hub_offline(True)


def allow_hub_for_this_process() -> None:
    """For the download child, which exists only because the user asked for a download."""
    os.environ["HF_HUB_OFFLINE"] = "0"
    _set_hub_offline(False)


def _set_hub_offline(on: bool) -> None:
    # huggingface_hub reads the variable once, at import, into a constant it checks per request.
    if "huggingface_hub.constants" not in sys.modules and on:
        return  # the environment variable covers the import to come
    from huggingface_hub import constants

    constants.HF_HUB_OFFLINE = on
    constants.HF_HUB_DISABLE_TELEMETRY = True
