"""The bundle's inputs: icons in every size, the .desktop entry, the spec and the frozen entry point.

Building and starting the bundle itself takes a minute and PyInstaller: packaging/smoke_test.sh does that.
"""

from __future__ import annotations

import ast
import configparser
import os
import struct
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
PACKAGING = ROOT / "packaging"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def ico_images(data: bytes) -> dict[int, bytes]:
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    images = {}
    for i in range(count):
        w, h, _, _, planes, bpp, size, offset = struct.unpack("<BBBBHHII", data[6 + 16 * i : 22 + 16 * i])
        assert (w, planes, bpp) == (h, 1, 32)
        images[w or 256] = data[offset : offset + size]
    return images


def icns_images(data: bytes) -> dict[bytes, bytes]:
    assert data[:4] == b"icns" and struct.unpack(">I", data[4:8])[0] == len(data)
    images, pos = {}, 8
    while pos < len(data):
        kind, length = data[pos : pos + 4], struct.unpack(">I", data[pos + 4 : pos + 8])[0]
        images[kind] = data[pos + 8 : pos + length]
        pos += length
    assert pos == len(data)
    return images


def test_png_icons_in_every_size() -> None:
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        assert png_size((ICONS / f"qwendesk-{size}.png").read_bytes()) == (size, size)
    assert (ICONS / "qwendesk.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_windows_ico() -> None:
    images = ico_images((ICONS / "qwendesk.ico").read_bytes())
    assert sorted(images) == [16, 24, 32, 48, 64, 128, 256]
    for size, png in images.items():
        assert png_size(png) == (size, size)


def test_macos_icns() -> None:
    images = icns_images((ICONS / "qwendesk.icns").read_bytes())
    expected = {b"icp4": 16, b"icp5": 32, b"icp6": 64, b"ic07": 128, b"ic08": 256, b"ic09": 512,
                b"ic10": 1024, b"ic11": 32, b"ic12": 64, b"ic13": 256, b"ic14": 512}  # fmt: skip
    assert {kind: png_size(png)[0] for kind, png in images.items()} == expected


def test_make_icons_regenerates_them(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run(
        [sys.executable, str(PACKAGING / "make_icons.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    made = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in ICONS.iterdir() if p.suffix != ".svg")
    assert made == committed
    assert sorted(ico_images((tmp_path / "qwendesk.ico").read_bytes())) == [16, 24, 32, 48, 64, 128, 256]
    assert png_size((tmp_path / "qwendesk-48.png").read_bytes()) == (48, 48)


def test_desktop_entry() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(PACKAGING / "qwendesk.desktop", encoding="utf-8")
    e = entry["Desktop Entry"]
    assert e["Type"] == "Application" and e["Name"] == "QwenDesk"
    assert e["Exec"] == "QwenDesk" and e["Icon"] == "qwendesk" and e["Terminal"] == "false"
    assert e["Categories"].endswith(";")


def test_spec_and_entry_point() -> None:
    spec = (PACKAGING / "qwendesk.spec").read_text(encoding="utf-8")
    ast.parse(spec)
    for needed in ('collect_dynamic_libs("llama_cpp")', '"resources/icons"', "BUNDLE(", "bundle_identifier",
                   "qwendesk.ico", "qwendesk.icns", 'copy_metadata("llama-cpp-python")'):  # fmt: skip
        assert needed in spec, needed
    tree = ast.parse((PACKAGING / "entry.py").read_text(encoding="utf-8"))
    main_block = next(n for n in tree.body if isinstance(n, ast.If))
    first = main_block.body[0]
    assert isinstance(first, ast.Expr) and ast.unparse(first) == "multiprocessing.freeze_support()"


@pytest.mark.skipif(os.name != "posix", reason="shell scripts")
def test_scripts_are_executable() -> None:
    for name in ("build.sh", "smoke_test.sh", "install-desktop-entry.sh"):
        assert os.access(PACKAGING / name, os.X_OK), name


class _Recorder:
    """Stands in for one of PyInstaller's spec classes (Analysis, EXE, …): records how it was called."""

    def __init__(self, kind: str, calls: list[tuple[str, tuple[object, ...], dict[str, object]]]) -> None:
        self.kind, self.calls = kind, calls

    def __call__(self, *args: object, **kwargs: object) -> object:
        self.calls.append((self.kind, args, kwargs))
        return types.SimpleNamespace(pure=[], scripts=[], binaries=[], datas=[], kwargs=kwargs)


def run_spec(platform: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[dict[str, object]]]:
    """Evaluate qwendesk.spec as PyInstaller would on ``platform``, with its classes and hooks recorded."""
    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_data_files = lambda *a, **k: []  # type: ignore[attr-defined]
    hooks.collect_dynamic_libs = lambda *a, **k: []  # type: ignore[attr-defined]
    hooks.collect_submodules = lambda name, *a, **k: [name]  # type: ignore[attr-defined]
    hooks.copy_metadata = lambda *a, **k: []  # type: ignore[attr-defined]
    for name in ("PyInstaller", "PyInstaller.utils"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the spec puts the repository first
    calls: list[tuple[str, tuple[object, ...], dict[str, object]]] = []
    spec_globals: dict[str, object] = {"SPECPATH": str(PACKAGING), "__name__": "__main__"}
    for kind in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"):
        spec_globals[kind] = _Recorder(kind, calls)
    path = PACKAGING / "qwendesk.spec"
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), spec_globals)
    made: dict[str, list[dict[str, object]]] = {}
    for kind, _args, kwargs in calls:
        made.setdefault(kind, []).append(kwargs)
    return made


def test_spec_on_windows_makes_a_windowed_exe_and_a_console_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    made = run_spec("win32", monkeypatch)
    exes = {e["name"]: e for e in made["EXE"]}
    assert sorted(exes) == ["QwenDesk", "qwendesk-cli"]
    assert exes["QwenDesk"]["console"] is False and exes["qwendesk-cli"]["console"] is True
    for exe in exes.values():
        assert exe["icon"] == str(ICONS / "qwendesk.ico") and (ICONS / "qwendesk.ico").is_file()
    assert "BUNDLE" not in made and made["COLLECT"][0]["name"] == "QwenDesk"


def test_spec_on_macos_makes_an_app_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    from app import __version__

    made = run_spec("darwin", monkeypatch)
    assert [(e["name"], e["console"]) for e in made["EXE"]] == [("QwenDesk", False)]
    assert made["EXE"][0]["icon"] == str(ICONS / "qwendesk.icns")
    (bundle,) = made["BUNDLE"]
    assert bundle["name"] == "QwenDesk.app" and bundle["bundle_identifier"] == "io.github.qwendesk.QwenDesk"
    assert bundle["icon"] == str(ICONS / "qwendesk.icns") and (ICONS / "qwendesk.icns").is_file()
    plist = bundle["info_plist"]
    assert isinstance(plist, dict)
    assert plist["NSHighResolutionCapable"] is True
    assert plist["CFBundleShortVersionString"] == plist["CFBundleVersion"] == __version__
    assert plist["CFBundleName"] == plist["CFBundleDisplayName"] == "QwenDesk"
    assert plist["LSMinimumSystemVersion"] == "11.0"


def test_spec_on_linux_makes_one_console_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    made = run_spec("linux", monkeypatch)
    assert [(e["name"], e["console"], e["icon"]) for e in made["EXE"]] == [("QwenDesk", True, None)]
    assert "BUNDLE" not in made
    (analysis,) = made["Analysis"]
    datas = analysis["datas"]
    assert isinstance(datas, list)
    bundled = {dest for _src, dest in datas}
    assert {"resources/icons", "resources/style", "app/ui/i18n"} <= bundled


def test_build_scripts_name_each_platforms_bundle() -> None:
    """build.sh and its PowerShell twin build.ps1 run the same steps and end with the same bundles."""
    sh = (PACKAGING / "build.sh").read_text(encoding="utf-8")
    ps1 = (PACKAGING / "build.ps1").read_text(encoding="utf-8")
    for script in (sh, ps1):
        steps = (
            "BUILD_VENV CMAKE_ARGS --force-reinstall .[packaging] PyInstaller packaging/qwendesk.spec "
            "--distpath build/pyinstaller .qwendesk-cmake-args"
        )
        for step in steps.split():
            assert step in script, step
    assert "dist/QwenDesk.app" in sh and "install-desktop-entry.sh" in sh
    assert "QwenDesk.exe" in ps1 and "qwendesk-cli.exe" in ps1
    smoke_ps1 = (PACKAGING / "smoke_test.ps1").read_text(encoding="utf-8")
    assert "packaging/build.ps1" in smoke_ps1 and "packaging/smoke_test.py" in smoke_ps1
    assert "SKIP_BUILD" in smoke_ps1 and "SMOKE_PYTHON" in smoke_ps1


def test_wheel_carries_the_resources_and_the_window_finds_them(tmp_path: Path) -> None:
    """A plain (non-editable) `pip install .` has the icons, the style sheet and the palettes where the
    window looks: the wheel, built offline, installed into a throwaway target and looked up from there."""
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w"]
    r = subprocess.run([*pip, str(tmp_path / "wheel"), str(ROOT)], capture_output=True, text=True, timeout=99)
    assert r.returncode == 0, r.stderr
    (wheel,) = (tmp_path / "wheel").glob("qwendesk-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    expected = {f"resources/icons/qwendesk-{size}.png" for size in (16, 24, 32, 48, 64, 128, 256, 512)}
    expected |= {f"resources/icons/qwendesk.{ext}" for ext in ("ico", "icns", "svg")}
    expected |= {"resources/style/qwendesk.qss", "resources/style/palettes.json", "app/ui/theme.py"}
    assert expected <= names, expected - names
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)  # what pip install puts in site-packages (purelib only)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from PySide6.QtGui import QGuiApplication; qt = QGuiApplication([]);"
        "import app.ui.about as a, app.ui.theme as t;"
        "assert a.ICONS_DIR.is_relative_to(sys.argv[1]), a.ICONS_DIR;"
        "assert not a.app_icon().isNull();"
        "assert t.STYLE_DIR.is_relative_to(sys.argv[1]) and (t.STYLE_DIR / 'qwendesk.qss').is_file();"
        "print(a.ICONS_DIR, t.STYLE_DIR)"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run(
        [sys.executable, "-I", "-c", code, str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert str(target) in r.stdout


def read_entry(path: Path) -> configparser.SectionProxy:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(path, encoding="utf-8")
    return entry["Desktop Entry"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux menu entry")
@pytest.mark.parametrize("kind", ["bundle", "pip"])
def test_desktop_entry_installer_puts_qwendesk_in_the_menu(kind: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(data)}
    if kind == "bundle":  # what build.sh puts in dist/QwenDesk
        folder = tmp_path / "Qwen Desk"
        folder.mkdir()
        (folder / "QwenDesk").write_text("#!/bin/sh\n")
        (folder / "QwenDesk").chmod(0o755)
        (folder / "qwendesk.png").write_bytes((ICONS / "qwendesk-256.png").read_bytes())
        (folder / "qwendesk.desktop").write_bytes((PACKAGING / "qwendesk.desktop").read_bytes())
        script = folder / "install-desktop-entry.sh"
        script.write_bytes((PACKAGING / "install-desktop-entry.sh").read_bytes())
        script.chmod(0o755)
        exe = folder / "QwenDesk"
    else:  # a venv's qwendesk command on PATH, the script run from the checkout
        bin_dir = tmp_path / "venv" / "bin"
        bin_dir.mkdir(parents=True)
        exe = bin_dir / "qwendesk"
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
        env["PATH"] = f"{bin_dir}:{env['PATH']}"
        script = PACKAGING / "install-desktop-entry.sh"
    r = subprocess.run([str(script)], capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 0, r.stderr
    e = read_entry(data / "applications" / "qwendesk.desktop")
    assert e["Exec"] == f'"{exe}"' and e["TryExec"] == str(exe) and e["Icon"] == "qwendesk"
    icon = data / "icons" / "hicolor" / "256x256" / "apps" / "qwendesk.png"
    assert png_size(icon.read_bytes()) == (256, 256)
    r = subprocess.run([str(script), "--remove"], capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 0 and not icon.exists()
    assert not (data / "applications" / "qwendesk.desktop").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux menu entry")
def test_desktop_entry_installer_says_what_it_needs(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    r = subprocess.run([str(PACKAGING / "install-desktop-entry.sh")], capture_output=True, text=True,
                       timeout=30, env=env)  # fmt: skip
    assert r.returncode == 1 and "QWENDESK_EXEC" in r.stderr
