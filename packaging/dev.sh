#!/usr/bin/env bash
# One entry point for a fresh Debian machine: creates or refreshes .venv/, installs the
# system libraries Qt and PortAudio need (as root; otherwise prints the apt-get line), then
#   launch  -> opens the app (the demo recording when one ships)
#   test    -> runs the whole test suite (what .ci/run calls)
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(python3-venv libportaudio2 libasound2 libegl1 libgl1 libglib2.0-0 libdbus-1-3
  libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0
  libxcb-xfixes0 libxcb-xkb1 libx11-xcb1)
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3

missing_system_packages() {
  local p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || echo "$p"
  done
}

ensure_system() {
  command -v dpkg-query >/dev/null || return 0   # not Debian: the user installs equivalents
  local missing
  missing=$(missing_system_packages | tr '\n' ' ')
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    echo "Installing system libraries: $missing" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2
  else
    echo "Missing system libraries. Run this once, then retry:" >&2
    echo "  sudo apt-get install -y $missing" >&2
    exit 1
  fi
}

ensure_venv() {
  local stamp=.venv/.installed
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "Installing MeCo Studio into .venv/ (first run takes a few minutes)" >&2
    .venv/bin/python -m pip install -q --upgrade pip >&2
    .venv/bin/python -m pip install -q -e '.[test]' >&2
    touch "$stamp"
  fi
}

cmd=${1:-launch}
shift || true
ensure_system
ensure_venv
case "$cmd" in
  launch)
    if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
      echo "No display found: the window needs X11 or Wayland. Headless: .venv/bin/meco-studio --help (separate, export, bench ...)." >&2
      exit 1
    fi
    exec .venv/bin/meco-studio "$@"
    ;;
  test)
    exec .venv/bin/python -m pytest "$@"
    ;;
  *)
    echo "usage: packaging/dev.sh [launch|test] [args...]" >&2
    exit 2
    ;;
esac
