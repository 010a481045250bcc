#!/usr/bin/env bash
# Build the bundle for this platform, then start it offscreen and check it (packaging/smoke_test.py):
# --version, a headless chat through the engine worker, the window shown with a model loaded and closed
# again, the Hub client, and a download from a stand-in Hub on 127.0.0.1; nothing may be left running.
#   packaging/smoke_test.sh                      build, then test dist/QwenDesk (dist/QwenDesk.app on macOS)
#   SKIP_BUILD=1 packaging/smoke_test.sh [PATH]  test an existing bundle
# SMOKE_PYTHON runs the checker (default: the build venv's Python). The download check needs the
# tests' fake Hub, so pytest: point SMOKE_PYTHON at .venv/bin/python (the test venv) to include it.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${BUILD_VENV:-build/venv}
if [ -z "${SKIP_BUILD:-}" ]; then
    packaging/build.sh
fi
PY=${SMOKE_PYTHON:-$VENV/bin/python}
[ -e "$PY" ] || PY="$VENV/Scripts/python.exe"
"$PY" packaging/smoke_test.py "$@"
