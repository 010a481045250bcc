"""Turn what a user typed after ``--model`` into a GGUF path: a path, or a name in the models dir."""

from __future__ import annotations

from pathlib import Path

from app.paths import data_dir


def models_dir() -> Path:
    """Where downloaded and imported models live (inside the data dir)."""
    return data_dir() / "models"


def resolve_model(arg: str) -> str:
    """``arg`` itself if it is a file; else the GGUF in the models dir whose name matches it.

    A name matches a file whose stem equals it or starts with it, case-insensitively
    (``Qwen3-8B`` finds ``Qwen3-8B-Q4_K_M.gguf``); an unknown name is returned unchanged,
    so the engine reports it as a missing file. ``NAME:QUANT`` (``Qwen3-4B:Q4_K_M``,
    or a repo id and a quant) finds a model downloaded with ``qwendesk models pull``.
    """
    path = Path(arg).expanduser()
    if not path.exists() and ":" in arg and not arg.lower().endswith(".gguf"):
        from app.models.store_dir import find_installed  # late: it imports the download machinery

        installed = find_installed(arg)
        return str(installed.path) if installed is not None else arg
    if path.exists() or path.suffix == ".gguf" or "/" in arg:
        return str(path)
    folder = models_dir()
    if not folder.is_dir():
        return arg
    wanted = arg.lower()
    candidates = sorted(p for p in folder.rglob("*.gguf") if p.stem.lower().startswith(wanted))
    exact = [p for p in candidates if p.stem.lower() == wanted]
    first_parts = [p for p in candidates if "-of-" not in p.stem or "-00001-of-" in p.stem]
    chosen = exact or first_parts
    return str(chosen[0]) if chosen else arg
