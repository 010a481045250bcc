"""Screenshot of the model manager on a first run without a network: the Hub unreachable, nothing saved.

    xvfb-run -a -s "-screen 0 1280x860x24" .venv/bin/python tools/screenshot_models_offline.py
    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshot_models_offline.py docs/screenshots

The "Hub" is a local port nothing listens on, and the data dir is a fresh, empty one: the
window lists every catalog model (the originals, then the 2507 generation) with its estimated
Q4_K_M size and fit on this machine, and one sentence says why no quantization is listed.
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
        os.environ.setdefault("QWENDESK_LANG", "en")
        from tests.models.fake_hub import closed_port_url

        os.environ["HF_ENDPOINT"] = closed_port_url()

        from app.ui.app import build_window
        from tools.qt_wait import settle, wait_until

        window = build_window(None)
        window.show()
        manager = window.open_model_manager()
        manager.resize(1040, 640)
        wait_until(lambda: manager.listing is not None)
        assert manager.listing is not None and not manager.listing.listed, "the Hub was reachable"
        settle()
        path = out_dir / "model-manager-offline.png"
        manager.grab().save(str(path))
        print("saved", path, flush=True)
        manager.close()
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
