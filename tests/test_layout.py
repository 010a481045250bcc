"""The design card's rules: the core never imports Qt, and the layout is there."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_qt_outside_app_ui() -> None:
    offenders = [
        str(p.relative_to(APP.parent))
        for p in APP.rglob("*.py")
        if "ui" not in p.relative_to(APP).parts[:1] and imported_modules(p) & {"PySide6", "PyQt5", "PyQt6"}
    ]
    assert offenders == []


def test_nothing_imports_app_ui() -> None:
    """Only the entry point may reach into app.ui, and only inside a function (lazily)."""
    for p in APP.rglob("*.py"):
        rel = p.relative_to(APP)
        if rel.parts[0] == "ui":
            continue
        tree = ast.parse(p.read_text(encoding="utf-8"))
        top_level = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app.ui"):
                assert rel == Path("cli/__init__.py") and node not in top_level, p


def test_core_runs_without_qt_or_llama_cpp_in_the_caller() -> None:
    code = (
        "import sys, app.cli, app.cli.chat, app.cli.bench, app.backend.engine;"
        "bad = [m for m in ('PySide6', 'llama_cpp') if m in sys.modules]; print(bad); sys.exit(bool(bad))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_layout() -> None:
    root = APP.parent
    for d in ("app/backend", "app/models", "app/ui", "resources", "tests", "packaging"):
        assert (root / d).is_dir(), d
