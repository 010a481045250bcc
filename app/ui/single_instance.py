"""One window per chat history: a second start brings the running window to the front.

The first QwenDesk on a data dir holds a lock file there (QLockFile: pid, program and host, so
one left by a crash is taken over at once) and listens on a local socket named after the dir
(a Unix socket or a named pipe, reachable by this user only). A second start finds the lock
held, asks the first over that socket to show its window, and exits without opening the
history, so nothing it would do at start-up (marking answers interrupted, purging) touches the
data of the live window. If the holder does not answer (hung), the second start says so and
opens nothing.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

import shiboken6
from PySide6.QtCore import QLockFile, QObject, Qt, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QWidget

log = logging.getLogger("qwendesk.instance")
LOCK_FILE = "qwendesk.lock"
REQUEST = b"raise\n"
REPLY = b"ok\n"
ANSWER_TIMEOUT_S = 5.0  # the first may still be starting: its socket answers once its event loop runs


class AlreadyRunningError(RuntimeError):
    """Another live QwenDesk has this chat history open."""


def server_name(directory: Path) -> str:
    """The socket's name: one per data dir (short, for the Unix socket path limit)."""
    digest = hashlib.sha256(str(directory.resolve()).encode("utf-8")).hexdigest()[:16]
    return f"qwendesk-{digest}"


class Instance(QObject):
    """This process's claim on one data dir: the lock, and the socket the next start calls."""

    raise_requested = Signal()  # a second start asked for the window (after it was brought up)

    def __init__(self, directory: Path, lock: QLockFile | None) -> None:
        super().__init__()
        self.directory = directory
        self._lock = lock
        self._window: QWidget | None = None
        self._pending = False
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_connection)
        name = server_name(directory)
        if lock is not None:  # a socket file left by a crash: we hold the lock, so nobody listens on it
            QLocalServer.removeServer(name)
        if not self._server.listen(name):
            log.warning("cannot listen on %s: %s", name, self._server.errorString())

    @property
    def listening(self) -> bool:
        return self._server.isListening()

    def set_window(self, window: QWidget) -> None:
        """The window a second start brings to the front."""
        self._window = window
        if self._pending:
            self._pending = False
            self._bring_up(window)

    def _on_connection(self) -> None:
        while (sock := self._server.nextPendingConnection()) is not None:
            sock.readyRead.connect(lambda s=sock: self._on_request(s))
            sock.disconnected.connect(sock.deleteLater)
            self._on_request(sock)

    def _on_request(self, sock: QLocalSocket) -> None:
        if not sock.canReadLine():
            return
        if bytes(sock.readLine().data()) != REQUEST:
            sock.disconnectFromServer()
            return
        window = self._window
        if window is not None and shiboken6.isValid(window):
            self._bring_up(window)
        else:  # still starting: shown as soon as it exists
            self._pending = True
        sock.write(REPLY)
        sock.flush()
        self.raise_requested.emit()

    @staticmethod
    def _bring_up(window: QWidget) -> None:
        state = window.windowState() & ~Qt.WindowState.WindowMinimized
        window.setWindowState(state | Qt.WindowState.WindowActive)
        window.show()
        window.raise_()
        window.activateWindow()

    def release(self) -> None:
        """Stop listening and unlock (the process ending does the same)."""
        self._server.close()
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None
        _claimed.pop(self.directory, None)


_claimed: dict[Path, Instance] = {}


def claim(directory: Path) -> Instance | None:
    """This process's :class:`Instance` for ``directory``, or None: another live QwenDesk has it.

    Needs a QCoreApplication. Calling it again in the same process returns the same instance
    (tests and scripts open several windows in one process).
    """
    key = directory.resolve()
    if key in _claimed:
        return _claimed[key]
    lock: QLockFile | None = QLockFile(str(key / LOCK_FILE))
    assert lock is not None
    lock.setStaleLockTime(0)  # held for as long as the window runs: never stale by age, only by death
    if not lock.tryLock(0):
        if lock.error() == QLockFile.LockError.LockFailedError:
            return None
        # A read-only or odd file system: run without the guard rather than not at all.
        log.warning("cannot lock %s (%s): not guarding against a second window", key, lock.error())
        lock = None
    instance = Instance(key, lock)
    _claimed[key] = instance
    return instance


def ask_running(directory: Path, timeout_s: float = ANSWER_TIMEOUT_S) -> bool:
    """Ask the QwenDesk holding ``directory`` to show its window; whether it said it did."""
    name = server_name(directory)
    deadline = time.monotonic() + timeout_s
    sock = QLocalSocket()

    def left_ms() -> int:
        return max(0, int((deadline - time.monotonic()) * 1000))

    try:
        while True:  # it may hold the lock and not listen yet
            sock.connectToServer(name)
            if sock.waitForConnected(min(500, left_ms())):
                break
            sock.abort()
            if not left_ms():
                return False
            time.sleep(0.1)
        sock.write(REQUEST)
        if not sock.waitForBytesWritten(left_ms()):
            return False
        while not sock.canReadLine():
            if not left_ms() or not sock.waitForReadyRead(left_ms()):
                return False
        return bytes(sock.readLine().data()) == REPLY
    finally:
        sock.abort()
