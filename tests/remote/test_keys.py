"""API keys in the system keyring; a clear error, and no file, where there is none."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.errors
import pytest
from keyring.backends import fail

from app.remote import keys
from app.remote.keys import KeyringUnavailableError
from tests.memory_keyring import MemoryKeyring

URL = "http://gpu-box:8000/v1"


def test_secrets_round_trip(memory_keyring: MemoryKeyring) -> None:
    assert keys.get_secret("local-server") is None
    keys.set_secret("local-server", "s3cret")
    assert keys.get_secret("local-server") == "s3cret"
    assert memory_keyring.passwords == {("QwenDesk", "local-server"): "s3cret"}
    keys.set_secret("local-server", "other")
    assert keys.get_secret("local-server") == "other"
    assert keys.delete_secret("local-server") is True
    assert keys.delete_secret("local-server") is False
    assert keys.get_secret("local-server") is None
    with pytest.raises(ValueError):
        keys.set_secret("local-server", "")


def test_endpoint_keys_are_per_base_url(memory_keyring: MemoryKeyring) -> None:
    keys.set_endpoint_key(URL, "sk-a")
    keys.set_endpoint_key("http://localhost:11434/v1", "sk-b")
    assert keys.get_endpoint_key(URL) == "sk-a"
    assert keys.get_endpoint_key("http://localhost:11434/v1") == "sk-b"
    assert ("QwenDesk", f"endpoint:{URL}") in memory_keyring.passwords
    assert keys.delete_endpoint_key(URL) and keys.get_endpoint_key(URL) is None


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def test_no_keyring_is_one_clear_error_and_no_file(no_keyring: None, qwendesk_home: Path) -> None:
    for call in (
        lambda: keys.get_endpoint_key(URL),
        lambda: keys.set_endpoint_key(URL, "sk-a"),
        lambda: keys.delete_endpoint_key(URL),
    ):
        with pytest.raises(KeyringUnavailableError) as exc:
            call()
        assert "session only" in exc.value.message and "Secret Service" in exc.value.message
    files = list(qwendesk_home.rglob("*")) if qwendesk_home.exists() else []
    assert files == []


class LockedKeyring(MemoryKeyring):
    """A keyring the user refused to unlock."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the collection is locked")

    set_password = get_password  # type: ignore[assignment]


def test_a_failing_keyring_is_unavailable_too() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(LockedKeyring())
    try:
        with pytest.raises(KeyringUnavailableError, match="the collection is locked"):
            keys.get_secret("x")
        with pytest.raises(KeyringUnavailableError):
            keys.set_secret("x", "y")
    finally:
        keyring.set_keyring(previous)
