#!/bin/sh
# Add QwenDesk to this user's application menu (Linux), with its icon. Nothing outside your home is touched:
# it installs qwendesk.desktop and the icon under ${XDG_DATA_HOME:-~/.local/share};
# `install-desktop-entry.sh --remove` takes them away again.
#   - a bundle: run ./install-desktop-entry.sh from the unpacked QwenDesk folder (it points at QwenDesk there);
#   - a pip install: run packaging/install-desktop-entry.sh from the source checkout with the venv's
#     `qwendesk` on PATH (or QWENDESK_EXEC=/path/to/.venv/bin/qwendesk); the icon comes from resources/icons.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
entry="$data/applications/qwendesk.desktop"
icon="$data/icons/hicolor/256x256/apps/qwendesk.png"
if [ "${1:-}" = "--remove" ]; then
    rm -f "$entry" "$icon"
    echo "removed $entry and $icon"
    exit 0
fi
if [ -x "$here/QwenDesk" ]; then  # the bundle
    exe="$here/QwenDesk"
    icon_source="$here/qwendesk.png"
else  # a pip install, from the source checkout's packaging/
    exe=${QWENDESK_EXEC:-$(command -v qwendesk || true)}
    if [ -z "$exe" ] || [ ! -x "$exe" ]; then
        echo "no QwenDesk here and no qwendesk command on PATH: activate the venv or set QWENDESK_EXEC" >&2
        exit 1
    fi
    exe=$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")
    icon_source="$here/../resources/icons/qwendesk-256.png"
fi
mkdir -p "$(dirname "$entry")" "$(dirname "$icon")"
cp "$icon_source" "$icon"
sed -e "s|^Exec=.*|Exec=\"$exe\"|" -e "s|^TryExec=.*|TryExec=$exe|" "$here/qwendesk.desktop" >"$entry"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
echo "installed $entry and $icon"
