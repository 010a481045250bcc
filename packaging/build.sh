#!/usr/bin/env bash
# Build the QwenDesk desktop bundle for this platform with PyInstaller (see packaging/README.md):
#   Linux:   dist/QwenDesk/QwenDesk, with qwendesk.desktop, qwendesk.png and install-desktop-entry.sh
#   macOS:   dist/QwenDesk.app
#   Windows: dist/QwenDesk/QwenDesk.exe and qwendesk-cli.exe (run from Git Bash)
#
# It installs QwenDesk and PyInstaller (the `packaging` extra) into a build venv, BUILD_VENV
# (default build/venv), made with PYTHON (default python3) if it is not there yet. llama-cpp-python
# is what pip builds by default (CPU; Metal on Apple Silicon). With CMAKE_ARGS set (-DGGML_CUDA=on),
# llama-cpp-python is compiled with them first, past pip's wheel cache (which would hand back the
# CPU build), once per venv and CMAKE_ARGS: keep one BUILD_VENV per engine (build/venv-cuda).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${BUILD_VENV:-build/venv}
PYTHON=${PYTHON:-python3}
started=$(date +%s)

if [ ! -e "$VENV/bin/python" ] && [ ! -e "$VENV/Scripts/python.exe" ]; then
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
[ -e "$PY" ] || PY="$VENV/Scripts/python.exe"

stamp="$VENV/.qwendesk-cmake-args"
if [ -n "${CMAKE_ARGS:-}" ] && [ "$(cat "$stamp" 2>/dev/null)" != "$CMAKE_ARGS" ]; then
    llama=$(grep -o '"llama-cpp-python[^"]*"' pyproject.toml | tr -d '"')  # the pyproject's pin
    echo "compiling $llama with CMAKE_ARGS=$CMAKE_ARGS"
    "$PY" -m pip install --disable-pip-version-check --no-cache-dir --force-reinstall --no-deps "$llama"
    printf '%s' "$CMAKE_ARGS" >"$stamp"
fi
"$PY" -m pip install --disable-pip-version-check '.[packaging]'

"$PY" -m PyInstaller --noconfirm --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/qwendesk.spec

case "$(uname -s)" in
    Linux)
        out=dist/QwenDesk
        cp packaging/qwendesk.desktop "$out/qwendesk.desktop"
        cp resources/icons/qwendesk-256.png "$out/qwendesk.png"
        cp packaging/install-desktop-entry.sh "$out/install-desktop-entry.sh"
        chmod +x "$out/install-desktop-entry.sh"
        ;;
    Darwin) out=dist/QwenDesk.app ;;
    *) out=dist/QwenDesk ;;
esac

echo "built $out in $(($(date +%s) - started)) s, $(du -sh "$out" | cut -f1)"
