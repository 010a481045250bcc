#!/bin/sh
# Add QwenDesk to this user's application menu (Linux): run it from the unpacked QwenDesk folder.
# It installs qwendesk.desktop (pointing at this folder) and the icon under ~/.local/share;
# `./install-desktop-entry.sh --remove` takes them away again. Nothing outside your home is touched.
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
mkdir -p "$(dirname "$entry")" "$(dirname "$icon")"
cp "$here/qwendesk.png" "$icon"
sed -e "s|^Exec=.*|Exec=\"$here/QwenDesk\"|" -e "s|^TryExec=.*|TryExec=$here/QwenDesk|" \
    "$here/qwendesk.desktop" >"$entry"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$data/applications" || true
echo "installed $entry and $icon"
