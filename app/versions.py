"""What this QwenDesk is made of: its version and llama.cpp's, for ``--version`` and the About dialog.

Nothing here imports ``llama_cpp`` or Qt. The llama-cpp-python version comes from
the installed package's metadata; ggml's version and commit from the two string
getters in llama.cpp's ``ggml-base`` library (loaded with ctypes, nothing is
initialised), and the GPU backend from the library files (``app.models.machine``).
Qt's versions are the caller's to add (only ``app.ui`` may import Qt). Every part
degrades to None when it cannot be read, as in a frozen app without package metadata.
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import platform
from dataclasses import dataclass
from pathlib import Path

from app import __version__

APP_NAME = "QwenDesk"
PRIVACY_STATEMENT = (
    "QwenDesk makes no network connections except the ones you ask for: listing or downloading models "
    "from the Hugging Face Hub, a server you connect to, and the MCP tool servers you enable. No "
    "telemetry, no update checks. Conversations, documents and models stay on this computer."
)


@dataclass(frozen=True)
class Versions:
    """Component versions; None means "could not tell"."""

    app: str = __version__
    llama_cpp_python: str | None = None
    ggml: str | None = None
    ggml_commit: str | None = None
    backend: str = "unknown"  # CPU, CUDA, Metal, Vulkan or unknown (see app.models.machine)
    qt: str | None = None  # the Qt library in use (qVersion), filled in by app.ui
    pyside6: str | None = None
    qt_note: str | None = None  # why Qt is not available, when it is not
    python: str = platform.python_version()

    @property
    def llama_cpp(self) -> str:
        """One line: "llama-cpp-python 0.3.36 · ggml 0.25.3 (0c1e570) · CPU backend"."""
        parts = [f"llama-cpp-python {self.llama_cpp_python or 'not found'}"]
        if self.ggml:
            parts.append(f"ggml {self.ggml}" + (f" ({self.ggml_commit})" if self.ggml_commit else ""))
        parts.append(f"{self.backend} backend" if self.backend != "unknown" else "backend unknown")
        return " · ".join(parts)

    @property
    def qt_line(self) -> str:
        if self.qt is None and self.pyside6 is None:
            return "not available" + (f" ({self.qt_note})" if self.qt_note else "")
        return f"{self.qt or '?'} (PySide6 {self.pyside6 or '?'})"

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) pairs in the order they are shown."""
        return [
            (APP_NAME, self.app),
            ("llama.cpp", self.llama_cpp),
            ("Qt", self.qt_line),
            ("Python", f"{self.python} ({platform.python_implementation()}, {platform.system()} "
             f"{platform.machine()})"),
        ]  # fmt: skip

    def text(self) -> str:
        """What ``qwendesk --version`` prints."""
        first, *rest = self.rows()
        return "\n".join([" ".join(first), *(f"{label}: {value}" for label, value in rest)])


def collect(qt: str | None = None, pyside6: str | None = None, *, qt_note: str | None = None) -> Versions:
    """Read the versions now (milliseconds: package metadata, a directory listing, one small library)."""
    from app.models.machine import detect_backend, llama_cpp_lib_dir

    lib_dir = llama_cpp_lib_dir()
    ggml, commit = ggml_build(lib_dir)
    return Versions(
        llama_cpp_python=distribution_version("llama-cpp-python"),
        ggml=ggml,
        ggml_commit=commit,
        backend=detect_backend(lib_dir),
        qt=qt,
        pyside6=pyside6,
        qt_note=qt_note,
    )


def distribution_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def ggml_build(lib_dir: Path | None) -> tuple[str | None, str | None]:
    """(version, commit) from ``ggml_version()`` / ``ggml_commit()`` in the ggml-base library.

    Older builds have neither function (or link ggml statically): (None, None) then.
    """
    if lib_dir is None:
        return None, None
    try:
        candidates = sorted(p for p in lib_dir.iterdir() if "ggml-base" in p.name and p.is_file())
    except OSError:
        return None, None
    for path in candidates:
        try:
            lib = ctypes.CDLL(str(path))
        except OSError:
            continue
        values: list[str | None] = []
        for name in ("ggml_version", "ggml_commit"):
            func = getattr(lib, name, None)
            if func is None:
                values.append(None)
                continue
            func.restype = ctypes.c_char_p
            func.argtypes = []
            raw = func()
            values.append(raw.decode("utf-8", "replace") if raw else None)
        return values[0], values[1]
    return None, None
