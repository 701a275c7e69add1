#!/usr/bin/env bash
# Install the Debian/Ubuntu system libraries that Qt (PySide6) needs, only when missing.
# Safe to run repeatedly; does nothing where every library is already present.
set -eu
libs="libGL.so.1:libgl1 libEGL.so.1:libegl1 libxkbcommon.so.0:libxkbcommon0
libfontconfig.so.1:libfontconfig1 libglib-2.0.so.0:libglib2.0-0 libdbus-1.so.3:libdbus-1-3
libfreetype.so.6:libfreetype6 libX11-xcb.so.1:libx11-xcb1 libxkbcommon-x11.so.0:libxkbcommon-x11-0
libxcb-cursor.so.0:libxcb-cursor0"
missing=""
for pair in $libs; do
  so=${pair%%:*}; pkg=${pair##*:}
  ldconfig -p 2>/dev/null | grep -q "$so" || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
echo "Qt needs these system packages:$missing"
if ! command -v apt-get >/dev/null; then
  echo "apt-get not found: install the equivalents of:$missing with your package manager" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing
