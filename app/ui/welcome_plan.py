"""What the welcome panel offers, decided without Qt so it is plain to test and to read.

From the machine, the Hub listing and the models dir: load a model already
downloaded, download the catalog's recommendation (``fit.recommend``, the same
pick as the model manager and ``qwendesk models``), or, offline, name what
would fit and say why it cannot be fetched now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from app.backend.errors import EngineError
from app.models import fit
from app.models.catalog import CATALOG, CatalogModel
from app.models.download import entry_state
from app.models.hub import GGUFEntry, HubListing
from app.models.machine import Machine
from app.models.store_dir import InstalledModel

# "looking": the survey is still running; "load": a model is on disk; "suggest": what would fit, from
# estimates, before the Hub was asked (Download asks it); "download": the recommendation can be
# fetched; "offline": the Hub is unreachable; "none_fits": nothing on offer fits; "error": the
# listing failed for another reason.
OfferKind = Literal["looking", "load", "suggest", "download", "offline", "none_fits", "error"]


@dataclass(frozen=True)
class Offer:
    kind: OfferKind
    model: CatalogModel | None = None  # the recommended catalog model
    entry: GGUFEntry | None = None  # its file on the Hub ("download")
    size: int | None = None  # bytes of that file: listed, or estimated when ``estimated``
    estimated: bool = False
    estimate: fit.FitEstimate | None = None
    resume: bool = False  # part of it is already on disk
    installed: InstalledModel | None = None  # "load": the model to offer
    reason: str = ""  # "offline"/"error": the technical detail


def newest_installed(models: Sequence[InstalledModel]) -> InstalledModel | None:
    """The most recently written model: most likely the one the user wants back."""

    def mtime(m: InstalledModel) -> float:
        try:
            return m.path.stat().st_mtime
        except OSError:
            return 0.0

    return max(models, key=mtime, default=None)


def plan(
    machine: Machine | None,
    listing: HubListing | EngineError | None,
    installed: Sequence[InstalledModel],
    *,
    asked: bool = True,
) -> Offer:
    """The one thing the panel leads to, given what is known so far.

    ``asked``: whether the Hub was asked (an offline listing then means it could not be reached).
    """
    local = newest_installed(installed)
    if local is not None:
        return Offer("load", installed=local)
    if machine is None or listing is None:
        return Offer("looking")
    if isinstance(listing, EngineError):
        return Offer("error", reason=listing.message)
    sizes = {(m.name, e.quant): e.size for m in listing.models for e in m.entries}
    if listing.offline:  # nothing can be fetched now: name what would fit, from estimates if need be
        kind: OfferKind = "offline" if asked else "suggest"
        pick = fit.recommend(machine, CATALOG, sizes)
        if pick is None:
            return Offer("offline" if asked else "none_fits", reason=listing.reason or "")
        model, quant = pick
        size = sizes.get((model.name, quant))
        shown = size or fit.estimated_file_size(model, quant)
        return Offer(
            kind,
            model=model,
            size=shown,
            estimated=size is None,
            estimate=fit.catalog_estimate(model, shown, machine),
            reason=listing.reason or "",
        )
    offered = [m for m in CATALOG if (m.name, fit.RECOMMEND_QUANT) in sizes]  # only what can be had
    pick = fit.recommend(machine, offered, sizes) if offered else None
    ml = listing.model(pick[0].name) if pick else None
    entry = ml.entry(pick[1]) if ml and pick else None
    if pick is None or entry is None:
        return Offer("none_fits")
    return Offer(
        "download",
        model=pick[0],
        entry=entry,
        size=entry.size,
        estimate=fit.catalog_estimate(pick[0], entry.size, machine),
        resume=entry_state(entry) == "partial",
    )
