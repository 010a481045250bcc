"""Typed errors for talking to the Hugging Face Hub and for model files on disk.

Every failure of a listing, a download or an import is one of these, with a
message a person can act on and a stable ``kind`` (as for engine errors), so
the CLI prints one line and the UI can offer the right action. huggingface_hub
and httpx2 exceptions are translated here, in one place.
"""

from __future__ import annotations

import errno

from app.backend.errors import EngineError

LOGIN_HINT = "accept the license on the Hub and log in with `hf auth login`"


class HubError(EngineError):
    """Base class for the model manager's errors."""

    kind = "hub"


class HubUnreachableError(HubError):
    """No network, DNS failure, refused connection, timeout or HF_HUB_OFFLINE=1."""

    kind = "hub_unreachable"


class HubNotFoundError(HubError):
    """The repository, revision or file does not exist (HTTP 404)."""

    kind = "hub_not_found"


class GatedRepoAccessError(HubError):
    """HTTP 401/403: a gated or private repository this user may not read (yet)."""

    kind = "hub_gated"


class DiskFullError(HubError):
    kind = "disk_full"


class ChecksumMismatchError(HubError):
    kind = "checksum_mismatch"


class ConnectionDroppedError(HubError):
    """The server stopped sending mid-file and retries did not help; the partial file is kept."""

    kind = "connection_dropped"


class ImportModelError(HubError):
    kind = "import_failed"


# Errors travel from the download process by name; anything unknown becomes a HubError.
BY_KIND: dict[str, type[HubError]] = {
    cls.kind: cls
    for cls in (
        HubError,
        HubUnreachableError,
        HubNotFoundError,
        GatedRepoAccessError,
        DiskFullError,
        ChecksumMismatchError,
        ConnectionDroppedError,
        ImportModelError,
    )
}


def from_kind(kind: str, message: str) -> HubError:
    return BY_KIND.get(kind, HubError)(message)


def translate(exc: BaseException, what: str, endpoint: str) -> HubError:
    """The HubError for an exception raised while fetching ``what`` (a repo id or ``repo/file``)."""
    import httpx2
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HfHubHTTPError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    if isinstance(exc, HubError):
        return exc
    if isinstance(exc, OfflineModeIsEnabled):
        return HubUnreachableError("Offline mode is on (HF_HUB_OFFLINE is set); cannot reach the Hub.")
    if isinstance(exc, GatedRepoError):
        return GatedRepoAccessError(f"{what} is gated: {LOGIN_HINT}.")
    status = _status(exc)
    if isinstance(exc, (EntryNotFoundError, RevisionNotFoundError)) or status == 404:
        return HubNotFoundError(f"{what} was not found on the Hub ({endpoint}).")
    if isinstance(exc, RepositoryNotFoundError) or status in (401, 403):
        return GatedRepoAccessError(f"{what} is private, gated or missing (HTTP {status}): {LOGIN_HINT}.")
    if isinstance(exc, HfHubHTTPError):
        return HubError(f"The Hub answered HTTP {status} for {what}; try again later.")
    if isinstance(exc, (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.ProxyError)):
        return HubUnreachableError(f"Cannot reach the Hugging Face Hub at {endpoint} (offline?): {exc}")
    if isinstance(exc, (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)):
        return ConnectionDroppedError(f"The connection to {endpoint} broke while fetching {what}: {exc}")
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return DiskFullError(f"The disk is full while writing {what}; free some space and resume.")
    return HubError(f"Fetching {what} failed: {type(exc).__name__}: {exc}")


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return code if isinstance(code, int) else None
