"""Before the chat window starts on Linux: are the system libraries Qt's "xcb" plugin needs there?

Without them Qt aborts with "could not load the Qt platform plugin "xcb"", which names neither the
library nor the package. :func:`missing_gui_libraries_message` loads each one by its soname (what Qt's
plugin does) and, when some are missing, says which and gives the command that installs them.
Qt-free, so the CLI can ask before it imports PySide6.

It checks only when the window would use xcb: on Linux, with ``QT_QPA_PLATFORM`` unset (and no
Wayland session) or naming xcb. ``offscreen``, ``minimal``, ``wayland`` and the rest need none of this.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Library:
    soname: str
    debian: str  # Debian/Ubuntu package
    fedora: str  # Fedora/RHEL package (dnf)


# What Qt 6's xcb platform plugin (libqxcb.so, libQt6XcbQpa), QtGui and QtCore need, as PySide6's wheels
# link them (readelf -d): the first seven are what a desktop without Qt apps usually lacks; the others are on
# every desktop, not on a bare system. The rest (libxcb1, libxkbcommon0, libxcb-randr0, …) come with these.
LIBRARIES = (
    Library("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
    Library("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    Library("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
    Library("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
    Library("libxcb-image.so.0", "libxcb-image0", "xcb-util-image"),
    Library("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil"),
    Library("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
    Library("libEGL.so.1", "libegl1", "libglvnd-egl"),
    Library("libGL.so.1", "libgl1", "libglvnd-glx"),
    Library("libfontconfig.so.1", "libfontconfig1", "fontconfig"),
    Library("libdbus-1.so.3", "libdbus-1-3", "dbus-libs"),
    Library("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb"),
    Library("libglib-2.0.so.0", "libglib2.0-0", "glib2"),
)
# Every package above, in one command: what README.md's "Set up" lists.
APT_COMMAND = "sudo apt install " + " ".join(lib.debian for lib in LIBRARIES)
# Platforms that never load the xcb plugin.
_NOT_XCB = ("offscreen", "minimal", "wayland", "eglfs", "linuxfb", "vnc", "vkkhrdisplay")


def can_load(soname: str) -> bool:
    """Whether the dynamic loader finds ``soname`` (a PyInstaller bundle may carry its own copy)."""
    candidates = [soname]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.insert(0, str(Path(bundle) / soname))
    for name in candidates:
        try:
            ctypes.CDLL(name)
        except OSError:
            continue
        return True
    return False


def uses_xcb(env: Mapping[str, str], platform: str) -> bool:
    """Whether the window would start with Qt's xcb plugin here."""
    if not platform.startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip().lower()
    if chosen:
        return not chosen.startswith(_NOT_XCB)
    # Unset: Qt 6 takes Wayland in a Wayland session and xcb elsewhere.
    return not (env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE", "").lower() == "wayland")


def missing_libraries(loader: Callable[[str], bool] | None = None) -> list[Library]:
    load = loader or can_load
    return [lib for lib in LIBRARIES if not load(lib.soname)]


def message(missing: list[Library]) -> str:
    lines = [
        'qwendesk: the chat window cannot start: Qt\'s "xcb" platform plugin needs '
        + ("this library, which is" if len(missing) == 1 else "these libraries, which are")
        + " not installed:",
        *(f"  {lib.soname}  (Debian/Ubuntu package {lib.debian}; Fedora: {lib.fedora})" for lib in missing),
        "Install with (Debian/Ubuntu):",
        "  sudo apt install " + " ".join(lib.debian for lib in missing),
        "Fedora/RHEL: sudo dnf install "
        + " ".join(dict.fromkeys(lib.fedora for lib in missing))
        + "; elsewhere, your distribution's package that provides each library.",
        "The command line (qwendesk chat, models, serve) works without them.",
    ]
    return "\n".join(lines)


def missing_gui_libraries_message(
    env: Mapping[str, str] | None = None,
    platform: str | None = None,
    loader: Callable[[str], bool] | None = None,
) -> str | None:
    """What to tell the user when the window cannot start for want of a library; None when it can."""
    if not uses_xcb(os.environ if env is None else env, sys.platform if platform is None else platform):
        return None
    missing = missing_libraries(loader)
    return message(missing) if missing else None
