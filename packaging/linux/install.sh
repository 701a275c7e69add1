#!/bin/sh
# Install Deblur Studio for the current user, without root and without Python:
#
#   ./install.sh                 copy to ~/.local/opt/deblur-studio, add the menu entry and
#                                the commands ~/.local/bin/deblur-studio and ~/.local/bin/deblur
#   ./install.sh --prefix DIR    the same below DIR instead of ~/.local
#   ./install.sh --uninstall     remove all of it again
#
# The folder this script is in is the self-contained bundle; it also runs in place:
# ./deblur-studio (the window) and ./deblur (the command line).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=$HOME/.local
action=install
while [ $# -gt 0 ]; do
  case $1 in
    --prefix) prefix=${2:?--prefix needs a folder}; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --uninstall) action=uninstall; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
case $prefix in /*) ;; *) prefix=$(pwd)/$prefix ;; esac
dest=$prefix/opt/deblur-studio
bin=$prefix/bin
apps=$prefix/share/applications
icons=$prefix/share/icons/hicolor

refresh() {  # menus and icon caches, where the desktop has the tools
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$icons" || true
}

if [ "$action" = uninstall ]; then
  rm -rf "$dest"
  rm -f "$bin/deblur-studio" "$bin/deblur" "$apps/deblur-studio.desktop" \
        "$icons/256x256/apps/deblur-studio.png" "$icons/scalable/apps/deblur-studio.svg"
  refresh
  echo "Deblur Studio removed from $prefix"
  exit 0
fi

[ -x "$here/deblur-studio" ] && [ -x "$here/deblur" ] || {
  echo "install.sh: run it from the unpacked Deblur Studio folder" >&2; exit 1; }
mkdir -p "$dest" "$bin" "$apps" "$icons/256x256/apps" "$icons/scalable/apps"
if [ "$here" != "$dest" ]; then
  rm -rf "$dest"
  mkdir -p "$dest"
  cp -R "$here/." "$dest/"
fi
ln -sf "$dest/deblur-studio" "$bin/deblur-studio"
ln -sf "$dest/deblur" "$bin/deblur"
cp "$here/share/deblur-studio.png" "$icons/256x256/apps/deblur-studio.png"
cp "$here/share/deblur-studio.svg" "$icons/scalable/apps/deblur-studio.svg"
# The menu entry names the program by its full path: ~/.local/bin is not on every desktop's PATH.
sed -e "s|^Exec=deblur-studio|Exec=\"$dest/deblur-studio\"|" \
    -e "s|^TryExec=.*|TryExec=$dest/deblur-studio|" \
    "$here/share/deblur-studio.desktop" > "$apps/deblur-studio.desktop"
chmod 644 "$apps/deblur-studio.desktop"
refresh
echo "Deblur Studio installed in $dest"
echo "  menu: Graphics > Deblur Studio (photos also offer 'Open with Deblur Studio')"
echo "  commands: $bin/deblur-studio and $bin/deblur"
case ":$PATH:" in *":$bin:"*) ;; *) echo "  (add $bin to your PATH to type them by name)" ;; esac
