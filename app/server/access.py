"""Who may reach the API server: loopback binding, Host/Origin checks, the API key.

A server on 127.0.0.1 is still reachable from web pages in the user's browser:
DNS rebinding makes a foreign name resolve to 127.0.0.1 (the Host header gives
it away), and a page can send a "simple" cross-origin POST (its Origin header
gives it away). Both are refused while bound to loopback. Anything reachable
from other machines needs an explicit opt-in and an API key.
"""

from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import urlsplit

LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})


class ServerSetupError(ValueError):
    """The server cannot start as asked; the message says why and what to do."""


class NetworkExposureError(ServerSetupError):
    """A non-loopback address without ``allow_network`` or without an API key."""


class PortInUseError(ServerSetupError):
    """Something else listens on the port already."""

    def __init__(self, message: str, *, port: int) -> None:
        super().__init__(message)
        self.port = port


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, *, allow_network: bool, api_key: str | None) -> None:
    """Refuse to listen beyond this machine unless the user asked for it and set a key."""
    if api_key is not None and not api_key.strip():
        raise ServerSetupError("The API key is empty: give a key, or none at all on localhost.")
    if is_loopback(host):
        return
    where = "all network interfaces" if host.strip() in WILDCARD_HOSTS else host
    if not allow_network:
        raise NetworkExposureError(
            f"Listening on {where} would let other machines use the model. QwenDesk serves on "
            "127.0.0.1 (this machine only) unless network access is allowed explicitly "
            "(--allow-network) and an API key is set (--api-key or QWENDESK_API_KEY)."
        )
    if not api_key:
        raise NetworkExposureError(
            f"Listening on {where} needs an API key, so that only clients that know it can use the "
            "model: set one with --api-key or QWENDESK_API_KEY."
        )


def _is_local_name(hostname: str | None) -> bool:
    return hostname is not None and hostname.lower() in LOCAL_NAMES


def host_header_ok(value: str | None) -> bool:
    """The Host header names this machine (localhost, 127.0.0.1 or [::1], any port)."""
    if value is None:  # HTTP/1.0 without Host: no browser sends that, so no rebinding either
        return True
    try:
        parts = urlsplit("//" + value.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return _is_local_name(parts.hostname)


def origin_ok(value: str | None) -> bool:
    """No Origin (not a browser), or a page served from this machine itself."""
    if value is None:
        return True
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and _is_local_name(parts.hostname)


def bearer_ok(header: str | None, api_key: str) -> bool:
    """``Authorization: Bearer <key>``, compared in constant time."""
    if not header:
        return False
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), api_key.encode())
