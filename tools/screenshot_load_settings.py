"""Screenshot of the load settings dialog for Qwen3-4B Q4_K_M at 65,536 tokens (shape of the real one).

xvfb-run -s "-screen 0 1280x860x24" .venv/bin/python tools/screenshot_load_settings.py docs/screenshots
"""

from __future__ import annotations

import dataclasses
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
        from PySide6.QtWidgets import QApplication

        from app.models.gguf_file import read_gguf_info
        from app.models.load_options import LoadOptions
        from app.models.machine import probe_machine
        from app.models.synthetic import write_scripted_gguf
        from app.ui import theme
        from app.ui.load_settings import LoadSettingsDialog

        app = QApplication(sys.argv[:1])
        theme.apply(app, dark=False)
        model = write_scripted_gguf(Path(tmp) / "Qwen3-4B-Q4_K_M.gguf", size_label="4B")
        # The generated file is tiny; give the dialog Qwen3-4B Q4_K_M's shape so the numbers are real ones.
        info = dataclasses.replace(
            read_gguf_info(model),
            name="Qwen3-4B",
            block_count=36,
            embedding_length=2560,
            head_count=32,
            head_count_kv=8,
            key_length=128,
            vocab_size=151_936,
            tensor_bytes=2_497_280_256,
        )
        dialog = LoadSettingsDialog(info, probe_machine(), LoadOptions(n_ctx=65_536))
        dialog.resize(560, dialog.sizeHint().height())
        dialog.show()
        app.processEvents()
        path = out_dir / "load-settings.png"
        dialog.grab().save(str(path))
        print("saved", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
