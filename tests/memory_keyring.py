"""An in-memory system keyring for tests: real ``keyring`` API calls, no desktop service, nothing on disk.

``memory_keyring`` installs it with ``keyring.set_keyring`` for one test and puts the previous
backend back afterwards. Import the fixture into a conftest (or a test module) to use it.
"""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.compat import properties


class MemoryKeyring(KeyringBackend):
    """Passwords in a dict, keyed by (service, username)."""

    @properties.classproperty
    def priority(cls) -> float:
        # Never chosen by keyring's own backend detection: only installed explicitly.
        raise RuntimeError("the memory keyring is for tests only")

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.passwords[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(f"no password for {username!r}") from None


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
