"""Refresh the window's translations: lupdate the .ts sources from app/ui, lrelease them to .qm.

    .venv/bin/python tools/update_translations.py            # update, compile, report
    .venv/bin/python tools/update_translations.py --check    # the same, exit 1 if any is unfinished

lupdate keeps every translation whose source text is still in the code (and carries a
translation over to a source that changed only slightly, marked unfinished); source texts
no longer in the code are dropped. New strings arrive unfinished: translate them in Qt
Linguist (``pyside6-linguist app/ui/i18n/qwendesk_zh_CN.ts``) or in the XML, then run this
again. ``qwendesk_en.ts`` holds only the plural forms of the English ``%n`` strings
("%n page(s)" → "1 page" / "3 pages").

Uses the lupdate and lrelease that come with PySide6 (PySide6-Essentials has them).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import PySide6

ROOT = Path(__file__).resolve().parent.parent
UI_DIR = ROOT / "app" / "ui"
I18N_DIR = UI_DIR / "i18n"
# language → lupdate options ("en" is the source language: only its plural forms are needed).
LANGUAGES = {"zh_CN": [], "en": ["-pluralonly"]}


def qt_tool(name: str) -> str:
    return str(Path(PySide6.__file__).resolve().parent / name)


def sources() -> list[str]:
    return [str(p.relative_to(ROOT)) for p in sorted(UI_DIR.glob("*.py"))]


def lupdate(ts: Path, options: list[str], *, quiet: bool = False) -> None:
    """Extract the strings of app/ui into ``ts``, keeping the translations it has."""
    cmd = [qt_tool("lupdate"), *options, "-no-obsolete", "-locations", "relative", *sources(), "-ts", str(ts)]
    if quiet:
        cmd.insert(1, "-silent")
    subprocess.run(cmd, check=True, cwd=ROOT)


def lrelease(ts: Path, qm: Path) -> None:
    subprocess.run([qt_tool("lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True, cwd=ROOT)


def unfinished(ts: Path) -> tuple[int, list[str]]:
    """(messages in ``ts``, source texts whose translation is unfinished or empty)."""
    root = ET.parse(ts).getroot()
    total, missing = 0, []
    for message in root.iter("message"):
        translation = message.find("translation")
        assert translation is not None
        if translation.get("type") in ("obsolete", "vanished"):
            continue
        total += 1
        forms = translation.findall("numerusform") if message.get("numerus") == "yes" else [translation]
        if translation.get("type") == "unfinished" or not all((f.text or "").strip() for f in forms):
            missing.append(message.findtext("source") or "")
    return total, missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a string is unfinished")
    args = parser.parse_args()
    I18N_DIR.mkdir(parents=True, exist_ok=True)
    status = 0
    for language, options in LANGUAGES.items():
        ts = I18N_DIR / f"qwendesk_{language}.ts"
        lupdate(ts, options, quiet=True)
        lrelease(ts, ts.with_suffix(".qm"))
        total, missing = unfinished(ts)
        print(f"{ts.relative_to(ROOT)}: {total} strings, {len(missing)} unfinished")
        for source in missing:
            print(f"    unfinished: {source!r}")
        if missing and args.check:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
