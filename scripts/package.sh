#!/usr/bin/env bash
# `make package`: the double-click bundle and the Linux installers, built on this machine.
#
#   bash scripts/package.sh            (make package runs it after setting up .venv)
#
# 1. dist/deblur-studio/       one-folder PyInstaller bundle from build.spec: `deblur-studio` (the
#                              window) and `deblur` (the CLI), Python, torch (CPU), Qt, weights
# 2. dist/deblur-studio_<version>_<arch>.deb
#                              dpkg-deb: /opt/deblur-studio, /usr/bin/deblur-studio and
#                              /usr/bin/deblur, a menu entry with image MIME types, icons
# 3. dist/deblur-studio-<version>-linux-<machine>.tar.gz
#                              the same folder plus install.sh (per user, ~/.local, menu entry)
# 4. smoke tests: the bundle as the .deb installs it (scripts/smoke_bundle.sh on a `dpkg -x`
#    root) and the tarball's install.sh/--uninstall in a throwaway home; then the sizes.
#
# Environment: PYTHON (default .venv/bin/python); SMOKE=0 skips step 4; DEB_COMPRESS (default
# "-Zxz -z1": 232 MB in ~2 min here; "-Zxz -z6" saves ~30 MB more but takes ~8 min on 2 cores);
# DEBLUR_BUNDLE_FULL=1 builds without the size exclusions of build.spec (for comparison).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PY=${PYTHON:-$REPO/.venv/bin/python}
export PIP_DISABLE_PIP_VERSION_CHECK=1
T0=$(date +%s)
say() { printf '\n== %s\n' "$*"; }
elapsed() { local s=$(( $(date +%s) - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
size_of() { du -sh --apparent-size "$1" | cut -f1; }

for tool in dpkg-deb tar gzip; do
  command -v "$tool" >/dev/null || { echo "package.sh: $tool is needed (Debian: apt-get install dpkg tar gzip)" >&2; exit 1; }
done
command -v strip >/dev/null || echo "package.sh: no strip (binutils): torch's symbol tables stay in (about 110 MB more)"

say "packaging tools (pyproject's [package] extra)"
mapfile -t tools < <("$PY" -c 'import tomllib
print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["package"]))')
"$PY" -m pip install -q "${tools[@]}"
"$PY" -m PyInstaller --version
VERSION=$("$PY" -c 'import deblur_app; print(deblur_app.__version__)')
ARCH=$(dpkg --print-architecture)
MACHINE=$(uname -m)
DIST=dist/deblur-studio
DEB=dist/deblur-studio_${VERSION}_${ARCH}.deb
TGZ_NAME=deblur-studio-${VERSION}-linux-${MACHINE}
TGZ=dist/$TGZ_NAME.tar.gz

# -- 1. the PyInstaller bundle ---------------------------------------------------------------------
say "PyInstaller bundle (build.spec) -> $DIST"
rm -rf build/pyinstaller "$DIST" "$DEB" "$TGZ"
t=$(date +%s)
nice -n 10 "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller build.spec
BUILD_TIME=$(elapsed "$t")
# Readable by every user, writable by none but the owner (weights are checked out 0400 here).
chmod -R u+rwX,go+rX,go-w "$DIST"
echo "bundle built in $BUILD_TIME: $(size_of "$DIST")"

# -- 2. the .deb -----------------------------------------------------------------------------------
say "Debian package -> $DEB"
ICONS=build/icons
"$PY" packaging/icons.py "$ICONS" >/dev/null  # the same icons build.spec made for the bundle
DESKTOP=resources/deblur-studio.desktop
ROOT=build/deb/root
rm -rf build/deb && mkdir -p "$ROOT/DEBIAN" "$ROOT/opt" "$ROOT/usr/bin" \
  "$ROOT/usr/share/applications" "$ROOT/usr/share/icons/hicolor/256x256/apps" \
  "$ROOT/usr/share/icons/hicolor/scalable/apps" "$ROOT/usr/share/doc/deblur-studio"
cp -al "$DIST" "$ROOT/opt/deblur-studio"  # hard links: no second copy of ~700 MB
ln -s /opt/deblur-studio/deblur-studio "$ROOT/usr/bin/deblur-studio"
ln -s /opt/deblur-studio/deblur "$ROOT/usr/bin/deblur"
install -m 644 "$DESKTOP" "$ROOT/usr/share/applications/deblur-studio.desktop"
install -m 644 "$ICONS/deblur-studio.png" "$ROOT/usr/share/icons/hicolor/256x256/apps/"
install -m 644 "$ICONS/deblur-studio.svg" "$ROOT/usr/share/icons/hicolor/scalable/apps/"
install -m 644 packaging/linux/copyright "$ROOT/usr/share/doc/deblur-studio/copyright"
command -v desktop-file-validate >/dev/null && { desktop-file-validate "$DESKTOP" || true; }

# System libraries the bundle links to but does not carry must be in Depends (control.in), or in
# Recommends for optional plugins (libOpenCL.so.1: OpenVINO's Intel GPU plugin only).
known="libOpenCL.so.1 ld-linux-x86-64.so.2 ld-linux-aarch64.so.1 libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0
librt.so.1 libutil.so.1 libGL.so.1 libEGL.so.1 libfontconfig.so.1 libxcb.so.1 libxcb-icccm.so.4
libxcb-keysyms.so.1 libwayland-client.so.0 libwayland-cursor.so.0 libwayland-egl.so.1"
carried=$(find "$DIST" \( -type f -o -type l \) -name '*.so*' -printf '%f\n' | sort -u)
needed=$(find "$DIST" -type f -name '*.so*' -exec readelf -d {} + 2>/dev/null |
  sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u || true)
for so in $(comm -23 <(echo "$needed") <(echo "$carried")); do
  grep -qxF "$so" <(tr ' ' '\n' <<<"$known") ||
    echo "package.sh: WARNING: $so is neither bundled nor in packaging/linux/control.in's Depends"
done
GLIBC=$(find "$DIST" -type f \( -name '*.so*' -o -name 'deblur*' \) -exec objdump -T {} + \
  2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1 || true)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@GLIBC@/${GLIBC:-2.28}/" \
    -e "s/@INSTALLED_SIZE@/$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)/" \
    packaging/linux/control.in > "$ROOT/DEBIAN/control"
chmod 755 "$ROOT/DEBIAN"
t=$(date +%s)
# shellcheck disable=SC2086 # DEB_COMPRESS is a list of options
nice -n 10 dpkg-deb --root-owner-group ${DEB_COMPRESS:--Zxz -z1} --build "$ROOT" "$DEB"
DEB_TIME=$(elapsed "$t")
dpkg-deb --info "$DEB"
dpkg-deb --contents "$DEB" > build/deb/contents.txt
for path in ./opt/deblur-studio/deblur-studio ./opt/deblur-studio/deblur ./usr/bin/deblur-studio \
    ./usr/bin/deblur ./usr/share/applications/deblur-studio.desktop \
    ./usr/share/icons/hicolor/256x256/apps/deblur-studio.png \
    ./usr/share/icons/hicolor/scalable/apps/deblur-studio.svg \
    ./opt/deblur-studio/_internal/weights/mimo-unet-lite.safetensors; do
  grep -q " $path\( \|$\)" build/deb/contents.txt || { echo "package.sh: $path missing from the .deb" >&2; exit 1; }
done
grep -E ' \./(usr/bin/|usr/share/(applications|icons/hicolor/[^/]+/apps)/.)' build/deb/contents.txt || true
echo "... $(wc -l < build/deb/contents.txt) entries in all (dpkg-deb --contents: build/deb/contents.txt)"
rm -rf build/deb/root

# -- 3. the .tar.gz --------------------------------------------------------------------------------
say "tarball -> $TGZ"
STAGE=build/tar/$TGZ_NAME
rm -rf build/tar && mkdir -p build/tar
cp -al "$DIST" "$STAGE"
mkdir -p "$STAGE/share"
install -m 755 packaging/linux/install.sh "$STAGE/install.sh"
install -m 644 "$DESKTOP" "$STAGE/share/deblur-studio.desktop"
install -m 644 "$ICONS/deblur-studio.png" "$ICONS/deblur-studio.svg" "$STAGE/share/"
install -m 644 packaging/linux/copyright "$STAGE/share/COPYRIGHT"
t=$(date +%s)
tar -C build/tar --owner=0 --group=0 --numeric-owner -cf - "$TGZ_NAME" | nice -n 10 gzip -6 > "$TGZ"
TGZ_TIME=$(elapsed "$t")
rm -rf build/tar

# -- 4. smoke tests --------------------------------------------------------------------------------
if [ "${SMOKE:-1}" != 0 ]; then
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/deblur-package.XXXXXX")
  trap 'rm -rf "$scratch"' EXIT
  say "smoke test: the bundle as the .deb installs it (dpkg -x into $scratch/root)"
  dpkg -x "$DEB" "$scratch/root"
  [ "$(readlink "$scratch/root/usr/bin/deblur")" = /opt/deblur-studio/deblur ] &&
    [ "$(readlink "$scratch/root/usr/bin/deblur-studio")" = /opt/deblur-studio/deblur-studio ] ||
    { echo "package.sh: /usr/bin links of the .deb are wrong" >&2; exit 1; }
  grep -q '^MimeType=image/jpeg;image/png;image/tiff;image/webp;image/bmp;' \
    "$scratch/root/usr/share/applications/deblur-studio.desktop" ||
    { echo "package.sh: the .deb's desktop entry lacks the image MIME types" >&2; exit 1; }
  bash scripts/smoke_bundle.sh "$scratch/root/opt/deblur-studio"
  rm -rf "$scratch/root"

  say "smoke test: the tarball's install.sh (per-user, in a throwaway home)"
  home=$scratch/home && mkdir -p "$home"
  tar -C "$scratch" -xzf "$TGZ"
  env -i HOME="$home" PATH=/usr/bin:/bin sh "$scratch/$TGZ_NAME/install.sh"
  for f in .local/opt/deblur-studio/deblur .local/bin/deblur .local/bin/deblur-studio \
      .local/share/applications/deblur-studio.desktop \
      .local/share/icons/hicolor/256x256/apps/deblur-studio.png; do
    [ -e "$home/$f" ] || { echo "package.sh: install.sh did not make ~/$f" >&2; exit 1; }
  done
  grep -q "^Exec=\"$home/.local/opt/deblur-studio/deblur-studio\" %F" \
    "$home/.local/share/applications/deblur-studio.desktop" ||
    { echo "package.sh: install.sh wrote a wrong Exec line" >&2; exit 1; }
  (cd "$scratch" && env -i HOME="$home" PATH=/usr/bin:/bin "$home/.local/bin/deblur" --help) |
    grep -q "usage: deblur" || { echo "package.sh: ~/.local/bin/deblur --help failed" >&2; exit 1; }
  env -i HOME="$home" PATH=/usr/bin:/bin sh "$home/.local/opt/deblur-studio/install.sh" --uninstall
  [ ! -e "$home/.local/opt/deblur-studio" ] && [ ! -e "$home/.local/bin/deblur" ] ||
    { echo "package.sh: install.sh --uninstall left files behind" >&2; exit 1; }
  echo "install.sh: install, ~/.local/bin/deblur --help, --uninstall: ok"
fi

say "done in $(elapsed "$T0") (PyInstaller $BUILD_TIME, .deb $DEB_TIME, .tar.gz $TGZ_TIME)"
printf '%-52s %s\n' "bundle  $DIST/" "$(size_of "$DIST")" \
  "deb     $DEB" "$(size_of "$DEB")" "tar.gz  $TGZ" "$(size_of "$TGZ")"
