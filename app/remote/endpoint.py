"""An OpenAI-compatible server's address, checked and normalised once, where the user typed it.

People type "localhost:8000", "http://gpu-box:8000" or paste ".../v1/chat/completions"; all of
these mean the base URL ``http://host:port/v1`` that the OpenAI API paths hang off.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from app.remote.presets import DEFAULT_PRESET, PRESETS

# Pasted API paths that are not part of the base URL.
_API_SUFFIXES = ("/chat/completions", "/completions", "/models")


def normalize_base_url(url: str) -> str:
    """``url`` as an http(s) base URL without a trailing slash; raises ValueError saying what is wrong."""
    text = url.strip()
    if not text:
        raise ValueError("Enter the server's address, for example http://localhost:8000/v1.")
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{url.strip()!r} is not a valid address ({exc}).") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"Only http:// and https:// addresses are supported (got {scheme}://).")
    if not parts.hostname:
        raise ValueError(f"{url.strip()!r} has no host name.")
    if parts.username is not None or parts.password is not None:
        raise ValueError("Put the API key in the key field, not in the address.")
    if parts.query or parts.fragment:
        raise ValueError(
            f"The address must not have a query or fragment (…?{parts.query or parts.fragment})."
        )
    if port == 0:
        raise ValueError("The port must be between 1 and 65535.")
    path = parts.path.rstrip("/")
    for suffix in _API_SUFFIXES:
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    if not path:
        path = "/v1"  # OpenAI-compatible servers all serve the API under /v1
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit((scheme, netloc, path, "", ""))


@dataclass(frozen=True)
class Endpoint:
    """A server: a name for people, a normalised base URL, and its preset (see ``app.remote.presets``)."""

    name: str
    base_url: str
    preset: str = DEFAULT_PRESET

    def __post_init__(self) -> None:
        base = normalize_base_url(self.base_url)
        if self.preset not in PRESETS:
            raise ValueError(f"Unknown server kind {self.preset!r}: one of {', '.join(PRESETS)}.")
        object.__setattr__(self, "base_url", base)
        if not self.name.strip():
            object.__setattr__(self, "name", self.host)

    @classmethod
    def from_url(cls, url: str, *, name: str = "", preset: str | None = None) -> Endpoint:
        """An endpoint for a typed address; the preset is guessed from the port unless given."""
        base = normalize_base_url(url)
        return cls(name=name, base_url=base, preset=preset or guess_preset(base))

    @property
    def host(self) -> str:
        """``host[:port]`` for display (never credentials, never the path)."""
        return urlsplit(self.base_url).netloc

    @property
    def hostname(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def is_https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def is_loopback(self) -> bool:
        """True when the server runs on this computer (localhost, 127.0.0.0/8, ::1)."""
        return is_loopback_host(self.hostname)


def is_loopback_host(hostname: str) -> bool:
    name = hostname.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def guess_preset(base_url: str) -> str:
    """Ollama's port is distinctive enough to guess; anything else is "custom" (send all, adapt)."""
    port = urlsplit(base_url).port
    return "ollama" if port == 11434 else DEFAULT_PRESET
