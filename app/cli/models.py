"""``qwendesk models``: list the Qwen3 GGUFs on the Hub, pull, remove and import models.

``list`` always lists every catalog model: with the Hub unreachable and no
saved listing, each with its estimated Q4_K_M size and fit, one sentence on
stderr saying so, and exit status 0.

``pull`` shows progress on stderr; Ctrl-C pauses it (the bytes stay in a
``.part`` file) and running the same pull again resumes. Every failure is one
``qwendesk: error: …`` line on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from app.models import fit
from app.models.catalog import GENERATION_2507, CatalogModel, find
from app.models.download import Download, Progress, entry_state
from app.models.hub import HubListing, find_entry, list_catalog
from app.models.hub_errors import HubError, HubNotFoundError
from app.models.labels import ctx_label, human_size
from app.models.machine import Machine, probe_machine
from app.models.store_dir import delete_model, import_model, installed_models, match_installed

EXIT_ERROR = 1
EXIT_CANCELLED = 130


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "models", help="list, download, remove and import models", description="Manage Qwen3 GGUF models."
    )
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    ls = msub.add_parser("list", help="the catalog's quantizations on the Hub, and what is downloaded")
    ls.add_argument("--json", action="store_true", help="one JSON document on stdout")
    ls.set_defaults(run=run_list)
    pull = msub.add_parser("pull", help="download a model (run again to resume)")
    pull.add_argument(
        "spec", metavar="REPO[:QUANT]", help="Qwen3-4B, Qwen3-4B:Q8_0 or Qwen/Qwen3-4B-GGUF:Q4_K_M"
    )
    pull.set_defaults(run=run_pull)
    rm = msub.add_parser("rm", help="delete a downloaded or imported model")
    rm.add_argument("name", metavar="NAME", help="NAME:QUANT, a file name or a path in the models dir")
    rm.set_defaults(run=run_rm)
    imp = msub.add_parser("import", help="add a local GGUF to the models dir")
    imp.add_argument("path", metavar="PATH", help="a GGUF file (the first part of a split model)")
    imp.set_defaults(run=run_import)


def _error(message: str) -> int:
    sys.stderr.write(f"qwendesk: error: {message}\n")
    sys.stderr.flush()
    return EXIT_ERROR


# --- list ------------------------------------------------------------------------------------------

log = logging.getLogger("qwendesk.models")
OFFLINE_NOTE = (
    "The Hugging Face Hub could not be reached, so quantizations are not listed; downloaded and imported "
    "models work offline, and `qwendesk models import FILE.gguf` adds a GGUF you already have."
)
THINK_TEXT = {"hybrid": "hybrid thinking", "never": "no thinking", "always": "always thinks"}
FIT_LABELS = {"gpu": "fits on GPU", "partial": "fits partly on GPU", "cpu": "fits on CPU", "tight": "tight"}


class _Judge:
    """Fit verdicts at 16K context: for Hub sizes, for estimated sizes, for files on disk.

    A failure (the machine cannot be probed, a header cannot be read) is no verdict for that row, so
    ``models list`` still lists; each one is logged, and :attr:`problems` says why (printed after the
    list), never silently.
    """

    def __init__(self) -> None:
        self.problems: dict[str, None] = {}  # what kept verdicts away, in order, each once
        try:
            self.machine: Machine | None = probe_machine()
        except Exception as exc:
            self._failed("this machine could not be probed", exc)
            self.machine = None

    def size(self, model: CatalogModel | None, size: int) -> str | None:
        if model is None or self.machine is None:
            return None
        try:
            return str(fit.catalog_estimate(model, size, self.machine).verdict)
        except Exception as exc:
            self._failed(f"{model.name} could not be estimated", exc)
            return None

    def file(self, path: Path) -> str | None:
        if self.machine is None:
            return None
        try:
            return str(fit.file_estimate(path, self.machine).verdict)
        except Exception as exc:
            self._failed(f"{path.name} could not be estimated", exc)
            return None

    def _failed(self, what: str, exc: Exception) -> None:
        log.info("no fit verdict: %s", what, exc_info=exc)  # the traceback with -v; the line below always
        self.problems[
            f"No fit estimate where one is missing above: {what} ({type(exc).__name__}: {exc})."
        ] = None


def describe_model(model: CatalogModel) -> str:
    """How ``model`` thinks and its context: "no thinking, 262K context", "hybrid thinking, 32K context"."""
    text = f"{THINK_TEXT.get(model.think, model.think)}, {ctx_label(model.native_ctx)} context"
    if model.max_ctx > model.native_ctx:
        text += f" ({ctx_label(model.max_ctx)} with YaRN)"
    return text


def _estimated_size(model: CatalogModel) -> int:
    return fit.estimated_file_size(model, fit.RECOMMEND_QUANT)


def _listing_json(listing: HubListing, judge: _Judge) -> dict[str, Any]:
    models = []
    for m in listing.models:
        model = find(m.name)
        quants = []
        for e in m.entries:
            quants.append(
                {
                    "quant": e.quant,
                    "repo": e.repo,
                    "size": e.size,
                    "files": [{"path": p.path, "size": p.size, "sha256": p.sha256} for p in e.parts],
                    "state": entry_state(e),
                    "fit": judge.size(model, e.size),
                }
            )
        item: dict[str, Any] = {"name": m.name, "quants": quants, "errors": list(m.errors)}
        if model is not None:
            size = _estimated_size(model)
            item.update(
                generation=model.generation,
                think=model.think,
                native_ctx=model.native_ctx,
                max_ctx=model.max_ctx,
                estimate={"quant": fit.RECOMMEND_QUANT, "size": size, "fit": judge.size(model, size)},
            )
        models.append(item)
    installed = [
        {
            "name": x.name,
            "path": str(x.path),
            "repo": x.repo,
            "quant": x.quant,
            "size": x.size,
            "parts": len(x.parts),
            "fit": judge.file(x.path),
        }
        for x in installed_models()
    ]
    return {
        "fetched_at": listing.fetched_at,
        "cached": listing.cached,
        "offline": listing.offline,
        "reason": listing.reason,
        "endpoint": listing.endpoint,
        "models": models,
        "installed": installed,
    }


def run_list(args: argparse.Namespace) -> int:
    """Every catalog model, always: quantizations when a listing exists, else estimates; exit 0 offline."""
    try:
        listing = list_catalog()
    except HubError as exc:
        return _error(exc.message)
    judge = _Judge()
    if args.json:
        sys.stdout.write(json.dumps(_listing_json(listing, judge), indent=1) + "\n")
    else:
        _print_listing(listing, judge)
    if not listing.listed:
        sys.stderr.write(OFFLINE_NOTE + "\n")
    for problem in judge.problems:
        sys.stderr.write(f"qwendesk: {problem}\n")
    return 0


def _print_listing(listing: HubListing, judge: _Judge) -> None:
    if listing.cached and listing.fetched_at is not None:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(listing.fetched_at))
        print(f"CACHED listing from {when} (the Hub is unreachable: {listing.reason})")
    in_2507 = False
    for m in listing.models:
        model = find(m.name)
        if model is not None and model.is_2507 and not in_2507:
            in_2507 = True
            print(f"\n{GENERATION_2507} (newer generation)")
        print(f"{m.name}  {describe_model(model)}" if model is not None else m.name)
        if not m.entries and model is not None:
            size = _estimated_size(model)
            why = "estimate" if not listing.listed else "estimate (no GGUFs found on the Hub)"
            tail = _tail([_fit_label(judge.size(model, size))])
            print(f"  {fit.RECOMMEND_QUANT:<12} {'~' + human_size(size):>9}  {why}{tail}")
        elif not m.entries:
            print("  (no GGUFs found)")
        for e in m.entries:
            parts = f" in {len(e.parts)} parts" if e.is_split else ""
            tail = _tail([entry_state(e), _fit_label(judge.size(model, e.size))])
            print(f"  {e.quant:<12} {human_size(e.size):>9}{parts}  {e.repo}{tail}")
        for err in m.errors:
            print(f"  ! {err}")
    local = installed_models()
    print("\nOn this machine" + ("" if local else ": no models yet"))
    for x in local:
        tail = _tail([_fit_label(judge.file(x.path))])
        print(f"  {x.path.name:<40} {human_size(x.size):>9}  {x.repo or 'imported'}{tail}")


def _tail(extras: list[str | None]) -> str:
    shown = [s for s in extras if s]
    return f"  [{', '.join(shown)}]" if shown else ""


def _fit_label(verdict: str | None) -> str | None:
    return FIT_LABELS.get(verdict, "won't fit" if verdict == "no" else None) if verdict else None


# --- pull ------------------------------------------------------------------------------------------


class _ProgressLine:
    """Progress on stderr: a redrawn line on a terminal, else a line every few seconds."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.warned: str | None = None

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if p.warning and p.warning != self.warned:
            self.warned = p.warning
            sys.stderr.write(("\r\x1b[K" if self.tty else "") + f"qwendesk: warning: {p.warning}\n")
        if p.state not in ("running", "done"):
            return
        if now - self.last < (0.2 if self.tty else 2.0) and p.state == "running":
            return
        self.last = now
        speed = f"{human_size(int(p.speed_bps))}/s" if p.speed_bps else "…"
        eta = f", {int(p.eta_s // 60)}:{int(p.eta_s % 60):02d} left" if p.eta_s is not None else ""
        part = f" part {p.file_index + 1}/{p.file_count}" if p.file_count > 1 else ""
        line = (
            f"{p.fraction * 100:5.1f}%  {human_size(p.done_bytes)} of {human_size(p.total_bytes)}"
            f"  {speed}{eta}{part}"
        )
        sys.stderr.write(f"\r{line}\x1b[K" if self.tty else line + "\n")
        sys.stderr.flush()

    def end(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


def run_pull(args: argparse.Namespace) -> int:
    try:
        entry = find_entry(args.spec)
    except HubError as exc:
        return _error(exc.message)
    spec = f"{args.spec.partition(':')[0]}:{entry.quant}"
    if entry_state(entry) == "downloaded":
        download = Download.for_entry(entry)
        print(download.paths[0])
        sys.stderr.write(f"{spec} is already downloaded.\n")
        return 0
    sys.stderr.write(f"Downloading {entry.repo} {entry.quant} ({human_size(entry.size)})\n")
    download = Download.for_entry(entry)
    line = _ProgressLine()
    try:
        paths = download.run(line)
    except KeyboardInterrupt:
        line.end()
        p = download.poll()
        sys.stderr.write(
            f"Paused at {human_size(p.done_bytes)} of {human_size(p.total_bytes)}; "
            f"run `qwendesk models pull {args.spec}` again to resume.\n"
        )
        return EXIT_CANCELLED
    except HubError as exc:
        line.end()
        return _error(exc.message)
    line.end()
    sys.stderr.write(f"Done. Chat with it: qwendesk chat --model {spec}\n")
    print(paths[0])
    return 0


# --- rm, import ------------------------------------------------------------------------------------


def run_rm(args: argparse.Namespace) -> int:
    matches = match_installed(args.name)
    if not matches:
        return _error(f"no installed model matches {args.name!r} (see `qwendesk models list`)")
    if len(matches) > 1:
        names = ", ".join(str(m.path) for m in matches)
        return _error(f"{args.name!r} matches several models: {names}; give a path")
    try:
        freed = delete_model(matches[0].path)
    except (HubNotFoundError, OSError) as exc:
        return _error(getattr(exc, "message", None) or str(exc))
    print(f"Removed {matches[0].path.name} ({human_size(freed)} freed)")
    return 0


def run_import(args: argparse.Namespace) -> int:
    try:
        result = import_model(args.path)
    except HubError as exc:
        return _error(exc.message)
    for note in result.notes:
        sys.stderr.write(f"qwendesk: note: {note}\n")
    how = "linked" if result.linked else "copied"
    print(f"Imported ({how}) {result.model.path} ({human_size(result.model.size)})")
    return 0
