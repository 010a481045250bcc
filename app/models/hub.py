"""The Qwen3 GGUFs on the Hugging Face Hub, listed live and cached for offline use.

Repositories change, so file names are never hard-coded: each catalog model's
official repo (``Qwen/<name>-GGUF``) is listed with ``HfApi.model_info(...,
files_metadata=True)`` (names, sizes, LFS SHA-256), and its alternative
(``unsloth/<name>-GGUF``) adds the quantizations the official one lacks. Files
are grouped by the quantization in their name; the parts of a split GGUF
(``…-00001-of-00003.gguf``, maybe in a per-quant folder) are one entry.

The endpoint is read from ``HF_ENDPOINT`` at call time and passed explicitly,
since huggingface_hub reads it only once, at import. Telemetry is switched off
for every call. The last good listing is kept in ``hub-cache.json`` in the data
dir and served, marked as cached, when the Hub cannot be reached; with nothing
saved, the listing is still every catalog model, with no quantizations, marked
offline (a first run without a network is not an error).
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from app.models.catalog import CATALOG, CatalogModel, find
from app.models.hub_errors import HubError, HubNotFoundError, HubUnreachableError, translate
from app.paths import data_dir
from app.privacy import hub_access

log = logging.getLogger("qwendesk.hub")

DEFAULT_ENDPOINT = "https://huggingface.co"
CACHE_FILE = "hub-cache.json"
CACHE_VERSION = 1
DEFAULT_QUANT = "Q4_K_M"
LIST_TIMEOUT_S = 15.0

_SPLIT = re.compile(r"^(?P<stem>.+)-(?P<part>\d{5})-of-(?P<count>\d{5})$")
_QUANT = re.compile(r"^(?:I?Q\d(?:_[A-Z0-9]+)*|TQ\d_\d|BF16|F16|F32|MXFP4(?:_MOE)?)$")


def endpoint() -> str:
    """The Hub's base URL: ``HF_ENDPOINT`` as it is now, else huggingface.co."""
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def quiet_hub() -> None:
    """No telemetry from huggingface_hub, whether or not it is imported yet.

    The environment variable covers a later import (and child processes); the
    constant covers an import that already happened.
    """
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    from huggingface_hub import constants

    constants.HF_HUB_DISABLE_TELEMETRY = True


@dataclass(frozen=True)
class RemoteFile:
    """One file in a Hub repository."""

    path: str  # path inside the repo, "Q4_K_M/Qwen3-235B-A22B-Q4_K_M-00001-of-00005.gguf"
    size: int
    sha256: str | None  # the LFS object's SHA-256; None for a plain git file


@dataclass(frozen=True)
class GGUFEntry:
    """One downloadable model: a single GGUF, or all parts of a split one."""

    repo: str
    quant: str
    parts: tuple[RemoteFile, ...]

    @property
    def size(self) -> int:
        return sum(p.size for p in self.parts)

    @property
    def first(self) -> RemoteFile:
        return self.parts[0]

    @property
    def is_split(self) -> bool:
        return len(self.parts) > 1


@dataclass(frozen=True)
class ModelListing:
    """A catalog model's quantizations: the official repo's, then the alternative's extras."""

    name: str
    entries: tuple[GGUFEntry, ...]
    errors: tuple[str, ...] = ()  # repos that could not be listed (other than not existing)

    def entry(self, quant: str) -> GGUFEntry | None:
        wanted = quant.upper()
        return next((e for e in self.entries if e.quant == wanted), None)

    def default_entry(self) -> GGUFEntry | None:
        """Q4_K_M if published, else the smallest."""
        return self.entry(DEFAULT_QUANT) or min(self.entries, key=lambda e: e.size, default=None)


@dataclass(frozen=True)
class HubListing:
    """Every catalog model (in catalog order) with the quantizations known for it.

    ``offline``: the Hub could not be reached this time. Then either ``cached``
    (the quantizations are the saved listing's) or nothing was saved and every
    model lists no quantization (``listed`` is False, ``fetched_at`` None).
    """

    models: tuple[ModelListing, ...]
    fetched_at: float | None  # time.time() of the fetch; None: never fetched
    cached: bool = False  # True: the Hub was unreachable, this is the saved listing
    reason: str | None = None  # why the Hub could not be reached (the error's message)
    endpoint: str = field(default=DEFAULT_ENDPOINT)
    offline: bool = False  # True: the Hub could not be reached (cached or not)

    def model(self, name: str) -> ModelListing | None:
        return next((m for m in self.models if m.name.lower() == name.lower()), None)

    @property
    def listed(self) -> bool:
        """Whether the quantizations are known: listed live now, or saved from an earlier listing."""
        return not self.offline or self.cached


def parse_quant(path: str) -> str | None:
    """The quantization named in a GGUF's file name ("Q4_K_M", "UD-Q4_K_XL", "BF16"), else None."""
    folder, _, name = path.rpartition("/")
    stem = name[:-5] if name.lower().endswith(".gguf") else name
    split = _SPLIT.match(stem)
    if split:
        stem = split["stem"]
    tokens = stem.upper().split("-")
    if _QUANT.match(tokens[-1]):
        ud = len(tokens) > 1 and tokens[-2] == "UD"
        return ("UD-" if ud else "") + tokens[-1]
    last_folder = folder.rpartition("/")[2].upper()
    return last_folder if _QUANT.match(last_folder.removeprefix("UD-")) else None


def group_ggufs(repo: str, files: Iterable[RemoteFile]) -> list[GGUFEntry]:
    """Model GGUFs grouped into entries; incomplete split sets and projectors are left out."""
    singles: list[GGUFEntry] = []
    splits: dict[tuple[str, int], list[RemoteFile]] = {}
    for f in files:
        name = f.path.rpartition("/")[2]
        if not name.lower().endswith(".gguf") or name.lower().startswith("mmproj"):
            continue
        quant = parse_quant(f.path)
        if quant is None:
            continue
        m = _SPLIT.match(name[:-5])
        if m:
            key = (f.path[: -len(name)] + m["stem"], int(m["count"]))
            splits.setdefault(key, []).append(f)
        else:
            singles.append(GGUFEntry(repo, quant, (f,)))
    for (_, count), parts in splits.items():
        parts.sort(key=lambda p: p.path)
        if len(parts) == count:
            singles.append(GGUFEntry(repo, parse_quant(parts[0].path) or "?", tuple(parts)))
        else:
            log.info("%s: split set %s has %d of %d parts; skipped", repo, parts[0].path, len(parts), count)
    return sorted(singles, key=lambda e: e.size)


def list_repo(repo: str, *, token: str | bool | None = None) -> list[GGUFEntry]:
    """The GGUF entries of one repository, live; raises a HubError."""
    quiet_hub()
    from huggingface_hub import HfApi

    base = endpoint()
    try:
        with hub_access():  # the user asked for this listing (app.privacy)
            api = HfApi(endpoint=base, token=token)
            info = api.model_info(repo, files_metadata=True, timeout=LIST_TIMEOUT_S)
    except Exception as exc:
        raise translate(exc, repo, base) from None
    files = [
        RemoteFile(s.rfilename, int(s.lfs.size if s.lfs else s.size or 0), s.lfs.sha256 if s.lfs else None)
        for s in info.siblings or []
    ]
    return group_ggufs(repo, files)


def merge(name: str, official: Sequence[GGUFEntry], alternative: Sequence[GGUFEntry]) -> ModelListing:
    """Official entries first; the alternative only for quantizations the official repo lacks."""
    have = {e.quant for e in official}
    extra = [e for e in alternative if e.quant not in have]
    return ModelListing(name, tuple(official) + tuple(extra))


def list_catalog(models: Sequence[CatalogModel] = CATALOG, *, use_cache: bool = True) -> HubListing:
    """Every catalog model's GGUFs from the Hub; on a network failure, the cached listing.

    A repository that does not exist lists as empty. When the Hub cannot be
    reached, the saved listing is served marked ``cached`` (models it lacks list
    as empty), or with nothing saved every model lists as empty, marked
    ``offline``: this never raises for an unreachable Hub.
    """
    repos = [r for m in models for r in (m.official_repo, m.alternative_repo)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(_try_list, repos))
    unreachable = [r for r in results if isinstance(r, HubUnreachableError)]
    if unreachable:
        reason = unreachable[0].message
        log.info("listing offline: %s", reason)
        cached = load_cache() if use_cache else None
        if cached is None:
            empty = tuple(ModelListing(m.name, ()) for m in models)
            return HubListing(empty, None, reason=reason, endpoint=endpoint(), offline=True)
        saved = {m.name.lower(): m for m in cached.models}
        complete = tuple(saved.get(m.name.lower()) or ModelListing(m.name, ()) for m in models)
        return HubListing(complete, cached.fetched_at, True, reason, cached.endpoint, offline=True)
    by_repo = dict(zip(repos, results))
    listings = []
    for m in models:
        off, alt = by_repo[m.official_repo], by_repo[m.alternative_repo]
        errors = tuple(
            f"{r}: {x.message}"
            for r, x in ((m.official_repo, off), (m.alternative_repo, alt))
            if isinstance(x, HubError) and not isinstance(x, HubNotFoundError)
        )
        merged = merge(m.name, _ok(off), _ok(alt))
        listings.append(ModelListing(m.name, merged.entries, errors))
    listing = HubListing(tuple(listings), time.time(), endpoint=endpoint())
    save_cache(listing)
    return listing


def _try_list(repo: str) -> list[GGUFEntry] | HubError:
    try:
        return list_repo(repo)
    except HubError as exc:
        return exc


def _ok(result: list[GGUFEntry] | HubError) -> list[GGUFEntry]:
    return [] if isinstance(result, HubError) else result


def find_entry(spec: str) -> GGUFEntry:
    """What ``models pull`` was given: ``Qwen3-4B``, ``Qwen3-4B:Q8_0`` or ``Qwen/Qwen3-4B-GGUF[:QUANT]``.

    A catalog name searches its official repo, then the alternative; a repo id
    only that repo. No quant: Q4_K_M if published, else the smallest.
    """
    name, _, quant = spec.partition(":")
    model = find(name)
    if model is not None:
        official = _try_list(model.official_repo)
        alternative = _try_list(model.alternative_repo)
        for result in (official, alternative):
            if isinstance(result, HubError) and not isinstance(result, HubNotFoundError):
                raise result
        listing = merge(model.name, _ok(official), _ok(alternative))
    elif "/" in name:
        listing = ModelListing(name, tuple(list_repo(name)))
    else:
        known = ", ".join(m.name for m in CATALOG)
        raise HubNotFoundError(f"Unknown model {name!r}: use a catalog name ({known}) or a repo id.")
    entry = listing.entry(quant) if quant else listing.default_entry()
    if entry is None:
        available = ", ".join(e.quant for e in listing.entries) or "none"
        what = f"quantization {quant.upper()} of {name}" if quant else f"a GGUF in {name}"
        raise HubNotFoundError(f"No {what} on the Hub (available: {available}).")
    return entry


# --- the cache -----------------------------------------------------------------------------------


def cache_path() -> Path:
    return data_dir() / CACHE_FILE


def save_cache(listing: HubListing) -> None:
    data = {
        "version": CACHE_VERSION,
        "fetched_at": listing.fetched_at,
        "endpoint": listing.endpoint,
        "models": [asdict(m) for m in listing.models],
    }
    path = cache_path()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def load_cache() -> HubListing | None:
    """The saved listing (for the current endpoint), or None if there is none or it is unreadable."""
    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
        if data.get("version") != CACHE_VERSION or data.get("endpoint") != endpoint():
            return None
        models = tuple(_model_from_json(m) for m in data["models"])
        return HubListing(models, float(data["fetched_at"]), cached=True, endpoint=data["endpoint"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _model_from_json(m: dict[str, Any]) -> ModelListing:
    entries = tuple(
        GGUFEntry(e["repo"], e["quant"], tuple(RemoteFile(**p) for p in e["parts"])) for e in m["entries"]
    )
    return ModelListing(m["name"], entries, tuple(m.get("errors", ())))
