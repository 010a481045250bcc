"""Network audit for the privacy tests: on PYTHONPATH, Python imports this in every process.

It records each process it runs in (so a test can tell the engine worker was
watched too) and every attempt to resolve a name or open a connection, then
refuses the attempt. The test fails if the log holds any attempt.
"""

import os
import socket
import sys

_LOG = os.environ.get("QWENDESK_NET_AUDIT")
_WATCHED = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto", "socket.sendmsg"}


def _write(line: str) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()} {line}\n")


def _hook(event: str, args: tuple) -> None:
    if event not in _WATCHED:
        return
    if event == "socket.connect":
        sock = args[0]
        if sock.family == socket.AF_UNIX:
            return  # not a network connection (and multiprocessing may use one)
    _write(f"ATTEMPT {event} {args[1:]!r}")
    raise PermissionError(f"network access is not allowed here: {event} {args[1:]!r}")


if _LOG:
    _write("watching " + " ".join(sys.argv[:2]))
    sys.addaudithook(_hook)
