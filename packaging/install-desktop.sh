#!/usr/bin/env bash
# Puts MeCo Studio into the user's desktop menu: a launcher that runs this checkout's .venv,
# and the icon. Run packaging/dev.sh once first so .venv/bin/meco-studio exists.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$root/.venv/bin/meco-studio" ] || { echo "Run 'bash packaging/dev.sh test' or 'launch' first." >&2; exit 1; }
apps=${XDG_DATA_HOME:-$HOME/.local/share}/applications
icons=${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/scalable/apps
mkdir -p "$apps" "$icons"
cp "$root/resources/icons/meco-studio.svg" "$icons/meco-studio.svg"
sed "s|^Exec=.*|Exec=$root/.venv/bin/meco-studio %f|" "$root/packaging/meco-studio.desktop" > "$apps/meco-studio.desktop"
command -v desktop-file-validate >/dev/null && desktop-file-validate "$apps/meco-studio.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database "$apps" || true
echo "Installed: $apps/meco-studio.desktop"
