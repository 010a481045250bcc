"""``python -m app`` runs the same entry point as the ``qwendesk`` script."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
