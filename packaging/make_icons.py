"""Regenerate QwenDesk's icons from ``resources/icons/qwendesk.svg``.

    .venv/bin/python packaging/make_icons.py

Writes, next to the SVG: ``qwendesk-{16,24,32,48,64,128,256,512}.png`` (Linux and the
About dialog), ``qwendesk.ico`` (Windows: 16–256 px) and ``qwendesk.icns`` (macOS: 16–1024 px).
The generated files are committed, so building a bundle needs none of this.

It needs nothing but PySide6, which QwenDesk depends on anyway: PySide6-Essentials
ships Qt's SVG image-format plugin (``imageformats/qsvg``), so ``QImageReader`` renders
the SVG at each size without the QtSvg Python module (PySide6-Addons), rsvg, Inkscape
or Pillow. Every size is rendered from the vector source rather than scaled down from
a large bitmap. The ICO and ICNS containers are written here (a header, a directory,
PNG-compressed images): Qt's own ICO/ICNS writers store one image per file.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
SVG = ICONS / "qwendesk.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # Windows Explorer uses up to 256
# ICNS element types holding PNG data: (type, pixel size). "@2x" types are the Retina ones.
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),  # 512@2x
    (b"ic11", 32),  # 16@2x
    (b"ic12", 64),  # 32@2x
    (b"ic13", 256),  # 128@2x
    (b"ic14", 512),  # 256@2x
)


def render_png(svg: Path, size: int) -> bytes:
    """The SVG drawn at ``size`` × ``size`` pixels, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
    from PySide6.QtGui import QImage, QImageReader

    reader = QImageReader(str(svg), b"svg")
    reader.setScaledSize(QSize(size, size))
    image = reader.read()
    if image.isNull():
        raise RuntimeError(f"Qt could not render {svg}: {reader.errorString()} (is the qsvg plugin there?)")
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise RuntimeError("Qt could not encode a PNG")
    buffer.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICO file holding one PNG-compressed image per size (Windows Vista and later read these)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))  # reserved, type 1 = icon, count
    directory = b""
    images = b""
    offset = len(header) + 16 * len(sizes)
    for size in sizes:
        data = pngs[size]
        side = 0 if size >= 256 else size  # 0 means 256 in an ICO directory entry
        # width, height, colours in palette, reserved, colour planes, bits per pixel, size, offset
        directory += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset + len(images))
        images += data
    return header + directory + images


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICNS file: the "icns" header, then one (type, length, PNG) element per type."""
    body = b"".join(kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for kind, size in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def make_icons(svg: Path = SVG, out: Path = ICONS) -> list[Path]:
    """Render every size and write the PNG, ICO and ICNS files; the paths written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # image plugins need one
    sizes = sorted(set(PNG_SIZES) | set(ICO_SIZES) | {s for _, s in ICNS_TYPES})
    pngs = {size: render_png(svg, size) for size in sizes}
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for size in PNG_SIZES:
        path = out / f"qwendesk-{size}.png"
        path.write_bytes(pngs[size])
        written.append(path)
    for path, data in (
        (out / "qwendesk.ico", ico_bytes({s: pngs[s] for s in ICO_SIZES})),
        (out / "qwendesk.icns", icns_bytes(pngs)),
    ):
        path.write_bytes(data)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, default=SVG, help="the source (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=ICONS, help="where to write (default: %(default)s)")
    args = parser.parse_args(argv)
    for path in make_icons(args.svg, args.out):
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
