"""Child processes (the engine worker, a download) end when the app that started them is gone.

A worker busy in llama.cpp does not read its pipe, so the pipe's EOF alone does not stop it: after
the app was SIGKILLed an orphaned worker kept a core at 94 %. Where the platform has one, a
parent-death signal ends the child at once (Linux: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``);
everywhere, a daemon thread checks every half second that the parent is still the same process
(psutil compares its start time, so a reused pid does not count) and exits if not. The thread
runs while llama.cpp computes: its calls release the GIL.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
POLL_S = 0.5


def die_with_parent() -> None:
    """Call first thing in a child process."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    import psutil

    try:
        process = psutil.Process(parent)
    except psutil.Error:
        os._exit(1)  # already gone

    def watch() -> None:
        while True:
            time.sleep(POLL_S)
            try:
                alive = process.is_running() and process.status() != psutil.STATUS_ZOMBIE
            except psutil.Error:
                alive = False
            if not alive or (os.name == "posix" and os.getppid() != parent):
                os._exit(1)

    threading.Thread(target=watch, name="qwendesk-lifeline", daemon=True).start()
