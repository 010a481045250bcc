"""The frozen app's entry point (PyInstaller runs this file; see packaging/qwendesk.spec).

The engine worker and downloads are ``multiprocessing`` spawn children, which in a
frozen app re-run this very executable: ``freeze_support()`` must come first so
such a child runs its worker and exits instead of starting a second QwenDesk.
"""

import multiprocessing

if __name__ == "__main__":
    multiprocessing.freeze_support()

    import sys

    from app.cli import main

    sys.exit(main())
