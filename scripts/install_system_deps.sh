#!/usr/bin/env bash
# Install the Debian/Ubuntu system libraries that Qt (PySide6) needs, only when missing.
# Safe to run repeatedly; does nothing where every library is already present.
#   required: what the app and its tests need (Qt with the offscreen platform, OpenCV;
#             exiftool for the metadata tests)
#   display:  what Qt's xcb and wayland platform plugins need on a real desktop (best effort)
set -u
required="libGL.so.1:libgl1 libEGL.so.1:libegl1 libxkbcommon.so.0:libxkbcommon0
libfontconfig.so.1:libfontconfig1 libglib-2.0.so.0:libglib2.0-0 libdbus-1.so.3:libdbus-1-3
libfreetype.so.6:libfreetype6"
display="libX11-xcb.so.1:libx11-xcb1 libxkbcommon-x11.so.0:libxkbcommon-x11-0
libxcb-cursor.so.0:libxcb-cursor0 libxcb-icccm.so.4:libxcb-icccm4 libxcb-keysyms.so.1:libxcb-keysyms1
libxcb-image.so.0:libxcb-image0 libxcb-render-util.so.0:libxcb-render-util0
libxcb-shape.so.0:libxcb-shape0 libxcb-randr.so.0:libxcb-randr0 libxcb-xinerama.so.0:libxcb-xinerama0
libwayland-cursor.so.0:libwayland-cursor0 libwayland-egl.so.1:libwayland-egl1"

missing_of() {
  local out=""
  for pair in $1; do
    ldconfig -p 2>/dev/null | grep -q "${pair%%:*}" || out="$out ${pair##*:}"
  done
  echo "$out"
}
need=$(missing_of "$required")
# exiftool: the tests read the processing record back the way exiftool (and Lightroom) show it
command -v exiftool >/dev/null 2>&1 || need="$need libimage-exiftool-perl"
want=$(missing_of "$display")
[ -z "$need$want" ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "apt-get not found: install the equivalents of:$need$want with your package manager" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "Installing system libraries for Qt:$need$want"
$SUDO apt-get update -qq || true
if [ -n "$need" ]; then
  $SUDO apt-get install -y -qq --no-install-recommends $need || exit 1
fi
if [ -n "$want" ]; then
  $SUDO apt-get install -y -qq --no-install-recommends $want \
    || echo "warning: could not install$want (only needed to show the window on a desktop)" >&2
fi
exit 0
