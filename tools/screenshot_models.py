"""Screenshot of the model manager mid-download, against the tests' local stand-in for the Hub.

xvfb-run -s "-screen 0 1280x860x24" .venv/bin/python tools/screenshot_models.py docs/screenshots
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots").resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["QWENDESK_HOME"] = str(Path(tmp) / "home")
        os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
        from PySide6.QtCore import Qt, QTimer
        from PySide6.QtWidgets import QApplication

        from app.ui.app import build_window
        from tests.models.fake_hub import serve

        with serve() as hub:
            os.environ["HF_ENDPOINT"] = hub.url
            for name, quants in (
                ("Qwen3-0.6B", ("Q8_0",)),
                ("Qwen3-4B", ("Q4_K_M", "Q8_0")),
                ("Qwen3-8B", ("Q4_K_M", "Q5_K_M", "Q8_0")),
            ):
                for q in quants:
                    hub.add_gguf(f"Qwen/{name}-GGUF", f"{name}-{q}.gguf", Path(tmp))
            hub.slow_s = 0.2  # a download slow enough to watch
            window = build_window(None)
            window.show()
            manager = window.open_model_manager()
            manager.resize(1040, 600)
            app = QApplication.instance()
            assert app is not None

            def ready() -> None:
                if manager.listing is None:
                    QTimer.singleShot(100, ready)
                    return
                [top] = manager.tree.findItems("Qwen3-4B", Qt.MatchFlag.MatchExactly, 0)
                top.setExpanded(True)
                manager.tree.findItems("Qwen3-1.7B", Qt.MatchFlag.MatchExactly, 0)[0].setExpanded(True)
                manager.tree.setCurrentItem(top.child(0))
                manager.download_selected()
                QTimer.singleShot(1500, shoot)

            def shoot() -> None:
                manager.grab().save(str(out_dir / "model-manager.png"))
                print("saved", out_dir / "model-manager.png", flush=True)
                manager.close()
                window.close()
                app.quit()

            QTimer.singleShot(100, ready)
            app.exec()
    return 0


if __name__ == "__main__":
    sys.exit(main())
