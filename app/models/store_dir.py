"""The models dir as a set of usable models: list, delete, import.

Only complete files count: a ``.part`` (a download in progress) never does, and
a split model counts only when all its parts are there (a part gets its final
name only after its SHA-256 matched). Downloads live in ``<owner>--<repo>/``,
imports in ``imported/``; dot folders are skipped (an earlier version's Xet downloads left a ``.cache``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from app.backend.errors import EngineError
from app.models.catalog import find
from app.models.download import part_path, sidecar_path
from app.models.gguf_file import GGUFInfo, read_gguf_info
from app.models.hub import parse_quant
from app.models.hub_errors import HubNotFoundError, ImportModelError
from app.models.locate import models_dir

IMPORTED = "imported"
_SPLIT = re.compile(r"^(?P<stem>.+)-(?P<part>\d{5})-of-(?P<count>\d{5})\.gguf$")


@dataclass(frozen=True)
class InstalledModel:
    """A complete GGUF (all parts) in the models dir."""

    path: Path  # the file to open: the first part of a split model
    parts: tuple[Path, ...]
    size: int
    repo: str | None  # "Qwen/Qwen3-8B-GGUF"; None for an imported file
    quant: str | None

    @property
    def name(self) -> str:
        m = _SPLIT.match(self.path.name)
        return m["stem"] if m else self.path.stem


def installed_models(root: Path | None = None) -> list[InstalledModel]:
    """Every usable model under ``root`` (default: the models dir), sorted by path."""
    folder = root or models_dir()
    if not folder.is_dir():
        return []
    found: list[InstalledModel] = []
    splits: dict[tuple[Path, str, int], list[Path]] = {}
    for p in sorted(folder.rglob("*.gguf")):
        rel = p.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or not p.is_file():
            continue
        m = _SPLIT.match(p.name)
        if m:
            splits.setdefault((p.parent, m["stem"], int(m["count"])), []).append(p)
        else:
            found.append(_model(folder, (p,)))
    for (_, _, count), parts in splits.items():
        if len(parts) == count:
            found.append(_model(folder, tuple(sorted(parts))))
    return sorted(found, key=lambda x: x.path)


def _model(folder: Path, parts: tuple[Path, ...]) -> InstalledModel:
    top = parts[0].relative_to(folder).parts[0]
    repo = top.replace("--", "/", 1) if "--" in top and top != parts[0].name else None
    size = sum(p.stat().st_size for p in parts)
    rel = parts[0].relative_to(folder).as_posix()
    return InstalledModel(parts[0], parts, size, repo, parse_quant(rel))


def find_installed(spec: str, root: Path | None = None) -> InstalledModel | None:
    """``Qwen3-4B:Q4_K_M`` or ``Qwen/Qwen3-4B-GGUF:Q4_K_M`` → the installed model, official repo first."""
    name, _, quant = spec.rpartition(":")
    if not name or not quant:
        return None
    model = find(name)
    repos = [model.official_repo, model.alternative_repo] if model else [name]
    candidates = [m for m in installed_models(root) if (m.quant or "").upper() == quant.upper()]
    for repo in repos:
        for m in candidates:
            if m.repo is not None and m.repo.lower() == repo.lower():
                return m
    if model is not None:  # an imported copy of the same model
        return next((m for m in candidates if m.name.lower().startswith(name.lower())), None)
    return None


def match_installed(name: str, root: Path | None = None) -> list[InstalledModel]:
    """What ``models rm NAME`` means: NAME:QUANT, a path, a file name or a name without .gguf."""
    models = installed_models(root)
    hit = find_installed(name, root)
    if hit is not None:
        return [hit]
    path = Path(name).expanduser()
    if path.exists():
        resolved = path.resolve()
        return [m for m in models if any(p.resolve() == resolved for p in m.parts)]
    wanted = name.lower().removesuffix(".gguf")
    return [m for m in models if m.name.lower() == wanted or m.path.stem.lower() == wanted]


def delete_model(path: Path, root: Path | None = None) -> int:
    """Delete a model (every part, partial downloads and sidecars); returns the bytes freed."""
    folder = root or models_dir()
    path = Path(path)
    m = _SPLIT.match(path.name)
    if m:
        count = int(m["count"])
        parts = [path.parent / f"{m['stem']}-{i:05d}-of-{count:05d}.gguf" for i in range(1, count + 1)]
    else:
        parts = [path]
    victims = [p for final in parts for p in (final, part_path(final), sidecar_path(final)) if p.is_file()]
    if not victims:
        raise HubNotFoundError(f"No model at {path}.")
    freed = 0
    for p in victims:
        freed += p.stat().st_size
        p.unlink()
    parent = path.parent
    with contextlib.suppress(OSError, ValueError):
        while parent != folder and parent.is_relative_to(folder) and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    return freed


@dataclass(frozen=True)
class ImportResult:
    model: InstalledModel
    notes: tuple[str, ...]
    linked: bool  # hard-linked (no extra space) rather than copied


def import_model(source: str | Path, root: Path | None = None) -> ImportResult:
    """Validate a local GGUF and hard-link (or copy) it, with all its parts, into ``imported/``.

    Qwen3 models are always accepted; other architectures only if they carry a
    chat template, since QwenDesk cannot prompt a model without one.
    """
    src = Path(source).expanduser()
    try:
        info = read_gguf_info(src)
    except EngineError as exc:
        raise ImportModelError(f"Cannot import {src}: {exc.message}") from None
    _check_template(src, info)
    notes: list[str] = []
    if not info.is_qwen3:
        if info.chat_template is None:
            raise ImportModelError(
                f"Cannot import {src}: architecture {info.architecture!r} is not Qwen3 and the file has no "
                "chat template, so QwenDesk cannot build prompts for it."
            )
        notes.append(
            f"{src.name} is a {info.architecture!r} model, not Qwen3: it is prompted with its own "
            "chat template, "
            "and the think on/off switch and thinking budget are Qwen3-only."
        )
    m = _SPLIT.match(src.name)
    if m and info.split_count > 1:
        count = info.split_count
        sources = [src.parent / f"{m['stem']}-{i:05d}-of-{count:05d}.gguf" for i in range(1, count + 1)]
    else:
        sources = [src]
    dest_dir = (root or models_dir()) / IMPORTED
    dest_dir.mkdir(parents=True, exist_ok=True)
    clash = [s.name for s in sources if (dest_dir / s.name).exists()]
    if clash:
        raise ImportModelError(f"{clash[0]} is already in the models dir ({dest_dir}); remove it first.")
    linked = True
    for s in sources:
        dest = dest_dir / s.name
        try:
            os.link(s, dest)
        except OSError:
            linked = False
            tmp = part_path(dest)
            try:
                shutil.copyfile(s, tmp)
                os.replace(tmp, dest)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise ImportModelError(f"Cannot copy {s} into {dest_dir}: {exc.strerror or exc}") from None
    parts = tuple(dest_dir / s.name for s in sources)
    size = sum(p.stat().st_size for p in parts)
    model = InstalledModel(parts[0], parts, size, None, parse_quant(parts[0].name))
    return ImportResult(model, tuple(notes), linked)


def _check_template(src: Path, info: GGUFInfo) -> None:
    """A model's chat template must compile and render a two-turn chat within its limits, or the
    file is refused now rather than failing at the first message."""
    if info.chat_template is None:
        return
    from app.backend.chat_template import ChatTemplate
    from app.backend.protocol import ChatMessage

    two_turns = (
        ChatMessage("user", "Hello"),
        ChatMessage("assistant", "Hi! How can I help?"),
        ChatMessage("user", "Tell me a joke."),
    )
    try:
        template = ChatTemplate(
            info.chat_template, origin=str(src), bos_token=info.bos_token, eos_token=info.eos_token
        )
        template.render(two_turns, enable_thinking=True)
    except EngineError as exc:
        raise ImportModelError(f"Cannot import {src}: {exc.message}") from None
