"""``python -m tests.fault_harness FAULT ARGS…``: the ``qwendesk`` command with a fault injected into
every engine worker it starts (app.backend.worker). Tests only: the shipped app has no way to do this."""

from __future__ import annotations

import sys

from app.backend.engine import Engine
from app.cli import main

if __name__ == "__main__":
    Engine.injected_fault = sys.argv[1]
    sys.exit(main(sys.argv[2:]))
