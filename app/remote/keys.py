"""API keys in the system keyring (Keychain, Windows Credential Locker, Secret Service), never in a file.

Where no keyring works (a headless Linux session without a Secret Service, a locked or refused
keyring) every call raises :class:`KeyringUnavailableError` with a message the window can show; the
caller then keeps the key in memory for this session only. There is deliberately no fallback to a
file: a key on disk in plain text is what the keyring is there to avoid.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import fail

log = logging.getLogger("qwendesk.remote")

T = TypeVar("T")
SERVICE = "QwenDesk"
_ENDPOINT_PREFIX = "endpoint:"


class KeyringUnavailableError(Exception):
    """No usable system keyring: the key can be kept for this session only."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _unavailable(detail: str) -> KeyringUnavailableError:
    return KeyringUnavailableError(
        "The system keyring is not available, so API keys cannot be saved: the key is kept for this "
        f"session only. {detail}".rstrip()
    )


def _call(what: str, action: Callable[[KeyringBackend], T]) -> T:
    """Run ``action`` on the keyring backend; any backend failure becomes KeyringUnavailableError."""
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring configuration
        raise _unavailable(f"({exc})") from exc
    if isinstance(backend, fail.Keyring):
        raise _unavailable("No keyring service was found (on Linux: a Secret Service such as GNOME Keyring).")
    try:
        return action(backend)
    except keyring.errors.PasswordDeleteError:
        raise
    except Exception as exc:  # locked, refused, D-Bus down: all mean the same to the user
        log.warning("keyring %s failed (%s): %s", what, type(backend).__name__, exc)
        raise _unavailable(f"({exc or type(exc).__name__})") from exc


def get_secret(account: str) -> str | None:
    """The secret stored for ``account``, or None; raises KeyringUnavailableError."""
    return _call("read", lambda b: b.get_password(SERVICE, account))


def set_secret(account: str, value: str) -> None:
    """Store ``value`` for ``account`` (replacing any); raises KeyringUnavailableError."""
    if not value:
        raise ValueError("An empty secret is not stored: delete it instead.")
    _call("write", lambda b: b.set_password(SERVICE, account, value))


def delete_secret(account: str) -> bool:
    """Forget ``account``'s secret; False if there was none. Raises KeyringUnavailableError."""
    try:
        _call("delete", lambda b: b.delete_password(SERVICE, account))
    except keyring.errors.PasswordDeleteError:
        return False
    return True


def endpoint_account(base_url: str) -> str:
    """Keys belong to a server's base URL, so renaming a saved endpoint keeps its key."""
    return _ENDPOINT_PREFIX + base_url


def get_endpoint_key(base_url: str) -> str | None:
    return get_secret(endpoint_account(base_url))


def set_endpoint_key(base_url: str, key: str) -> None:
    set_secret(endpoint_account(base_url), key)


def delete_endpoint_key(base_url: str) -> bool:
    return delete_secret(endpoint_account(base_url))
