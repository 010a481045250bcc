"""app/linux_libs.py: the window says which system library is missing instead of Qt's "xcb" abort."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app import cli
from app.linux_libs import APT_COMMAND, LIBRARIES, can_load, missing_gui_libraries_message, uses_xcb

ROOT = Path(__file__).resolve().parent.parent
X11 = {"DISPLAY": ":0"}


def test_missing_library_is_named_with_the_apt_command() -> None:
    absent = {"libxcb-cursor.so.0", "libxcb-icccm.so.4"}
    text = missing_gui_libraries_message(X11, "linux", loader=lambda soname: soname not in absent)
    assert text is not None
    assert "libxcb-cursor.so.0" in text and "libxcb-icccm.so.4" in text and "libGL.so.1" not in text
    assert "sudo apt install libxcb-cursor0 libxcb-icccm4\n" in text
    assert "sudo dnf install xcb-util-cursor xcb-util-wm" in text
    assert "your distribution's package" in text


def test_all_present_says_nothing() -> None:
    assert missing_gui_libraries_message(X11, "linux", loader=lambda _soname: True) is None


@pytest.mark.parametrize("platform", ["offscreen", "minimal", "wayland", "wayland-egl", "offscreen:x=1"])
def test_platforms_without_xcb_skip_the_check(platform: str) -> None:
    def loader(soname: str) -> bool:
        raise AssertionError("no library is looked for")

    assert missing_gui_libraries_message({"QT_QPA_PLATFORM": platform}, "linux", loader=loader) is None


def test_when_xcb_is_used() -> None:
    assert uses_xcb({}, "linux") and uses_xcb({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb;wayland", "WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not uses_xcb({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not uses_xcb({"XDG_SESSION_TYPE": "wayland"}, "linux")
    assert not uses_xcb({}, "darwin") and not uses_xcb({}, "win32")


def test_real_loader() -> None:
    if sys.platform.startswith("linux"):
        assert can_load("libc.so.6")
    assert not can_load("libqwendesk-no-such-library.so.0")


def test_apt_command_lists_the_full_set() -> None:
    packages = (
        "libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 "
        "libxcb-shape0 libegl1 libgl1 libfontconfig1 libdbus-1-3 libx11-xcb1 libglib2.0-0"
    )
    for package in packages.split():
        assert f" {package}" in APT_COMMAND
    assert len(LIBRARIES) == 13


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check runs on Linux only")
def test_cli_exits_with_the_message_before_qt(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("app.linux_libs.can_load", lambda soname: soname != "libxcb-cursor.so.0")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setitem(sys.modules, "app.ui.app", None)  # importing the window would fail the test
    assert cli.main([]) == 1
    err = capsys.readouterr().err
    assert "libxcb-cursor.so.0" in err and "sudo apt install libxcb-cursor0" in err


def test_the_readme_lists_the_same_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(APT_COMMAND) >= 2  # "Set up" and the Troubleshooting bullet


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check runs on Linux only")
def test_message_from_a_real_process_with_a_fake_library() -> None:
    """The whole path in a child process: a library that cannot exist is reported, exit status 1."""
    code = (
        "import sys, app.linux_libs as l;"
        "l.LIBRARIES = (*l.LIBRARIES, l.Library('libqwendesk-fake.so.9', 'qwendesk-fake9', 'qwendesk-fake'));"
        "sys.modules['app.ui.app'] = None;"
        "from app.cli import main; sys.exit(main([]))"
    )
    env = {"QT_QPA_PLATFORM": "xcb", "PATH": "/usr/bin:/bin"}
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, cwd=ROOT
    )
    assert r.returncode == 1, r.stderr
    assert "libqwendesk-fake.so.9" in r.stderr and "sudo apt install qwendesk-fake9" in r.stderr
    assert "Traceback" not in r.stderr
