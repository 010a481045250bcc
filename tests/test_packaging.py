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
