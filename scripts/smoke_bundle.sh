#!/usr/bin/env bash
# Smoke test of a built one-folder bundle, run the way a user without Python runs it: from a
# scratch directory outside the repository, with a clean environment (env -i), headless.
#
#   bash scripts/smoke_bundle.sh [DIST_DIR]      # default: dist/deblur-studio
#
# Checks: both executables exist; `deblur --help` and `--version`; `deblur --help` through a
# symbolic link (as /usr/bin/deblur is in the .deb); a real `deblur` run on a crop of the bundled
# sample with tiling (through OpenVINO when the bundle carries it), whose output must be a JPEG;
# `deblur --method shake --save-kernel` on it (shake estimation, SciPy inside the bundle); a HEIC and a DNG (camera RAW) through `deblur` (HEIC out with its EXIF; a 16-bit TIFF with the
# RAW's EXIF and the processing record); `deblur-studio --self-test` (on OpenVINO too: its report
# must say so) and `--screenshot` (once the GUI exists, i.e. deblur_app/gui/app.py is in this checkout; SMOKE_GUI=1/0 forces it on/off); and
# that every library the bundle must carry resolves inside it. Exits non-zero on any failure.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
DIST_ARG=${1:-$REPO/dist/deblur-studio}
if ! DIST=$(cd "$DIST_ARG" 2>/dev/null && pwd); then
  echo "smoke: no bundle folder at $DIST_ARG (build it with: make package)" >&2
  exit 2
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/deblur-smoke.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 2
failures=0
pass() { printf '  ok    %s\n' "$*"; }
fail() { printf '  FAIL  %s\n' "$*"; failures=$((failures + 1)); }
# A clean environment: no Python variables, no virtualenv, no display, a throwaway home.
clean() {
  env -i HOME="$TMP/home" PATH=/usr/bin:/bin LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen \
    XDG_RUNTIME_DIR="$TMP/run" "$@"
}
mkdir -p "$TMP/home" "$TMP/run" "$TMP/bin" && chmod 700 "$TMP/run"
echo "smoke test of $DIST (in $TMP)"

# -- the executables ------------------------------------------------------------------------------
for exe in deblur-studio deblur; do
  if [ -x "$DIST/$exe" ]; then pass "$exe is there"; else fail "$exe missing or not executable"; fi
done
[ -x "$DIST/deblur" ] || { echo "smoke: cannot go on without deblur" >&2; exit 1; }
if ls "$DIST"/_internal/libpython3*.so* >/dev/null 2>&1; then
  pass "Python runtime is inside the bundle"
else
  fail "no libpython in $DIST/_internal"
fi

# -- deblur --help / --version, directly and through a symlink -------------------------------------
if out=$(clean "$DIST/deblur" --help 2>&1) && grep -q "usage: deblur" <<<"$out"; then
  pass "deblur --help"
else
  fail "deblur --help: $(tail -n 8 <<<"$out")"
fi
if out=$(clean "$DIST/deblur" --version 2>&1) && grep -q "^deblur [0-9]" <<<"$out"; then
  pass "deblur --version ($out)"
else
  fail "deblur --version: $(tail -n 8 <<<"$out")"
fi
ln -s "$DIST/deblur" "$TMP/bin/deblur"
if out=$(clean "$TMP/bin/deblur" --help 2>&1) && grep -q "usage: deblur" <<<"$out"; then
  pass "deblur --help through a symlink"
else
  fail "deblur --help through a symlink: $(tail -n 8 <<<"$out")"
fi

# -- a real run on the bundled sample -------------------------------------------------------------
sample=$(ls "$DIST"/_internal/resources/samples/*.jpg 2>/dev/null | head -n 1)
if [ -z "$sample" ]; then
  fail "no sample photo in the bundle"
else
  input=$sample
  # A 384 x 256 crop keeps this quick on a CPU; Pillow from the build's virtualenv makes it (a
  # test fixture only: the bundle itself is run without any Python). Whole photo otherwise.
  for py in "$REPO/.venv/bin/python" python3; do
    if "$py" -c "
import sys; from PIL import Image
Image.open(sys.argv[1]).crop((420, 300, 804, 556)).save(sys.argv[2], quality=95)" \
        "$sample" "$TMP/crop.jpg" 2>/dev/null; then
      input=$TMP/crop.jpg; break
    fi
  done
  t0=$(date +%s)
  # OpenVINO where the bundle carries it (converting the weights on first use, into the throwaway
  # home's cache), PyTorch otherwise
  backend=torch
  ls "$DIST"/_internal/openvino/libs/*openvino_intel_cpu_plugin* >/dev/null 2>&1 && backend=openvino
  if out=$(clean "$DIST/deblur" "$input" -o "$TMP/out" --tile 192 --overlap 32 --quiet \
      --backend "$backend" 2>&1); then
    result=$(ls "$TMP"/out/*_deblurred* 2>/dev/null | head -n 1)
    if [ -n "$result" ] && [ "$(od -An -tx1 -N3 "$result" | tr -d ' ')" = ffd8ff ]; then
      pass "deblur --backend $backend $(basename "$input") -> $(basename "$result") ($(( $(date +%s) - t0 )) s)"
    else
      fail "deblur ran but wrote no JPEG: $(ls -la "$TMP/out" 2>&1)"
    fi
  else
    fail "deblur on the sample: $(tail -n 8 <<<"$out")"
  fi
  # the second method (SciPy's FFTs inside the bundle), with its kernel picture
  t0=$(date +%s)
  if out=$(clean "$DIST/deblur" "$input" -o "$TMP/shake" --method shake --kernel-size 15 \
      --save-kernel 2>&1) && ls "$TMP"/shake/*_deblurred* >/dev/null 2>&1; then
    trace="no clear shake found"
    ls "$TMP"/shake/*_kernel.png >/dev/null 2>&1 && trace="with its blur trace"
    pass "deblur --method shake $(basename "$input") -> a result, $trace ($(( $(date +%s) - t0 )) s)"
  else
    fail "deblur --method shake: $(tail -n 8 <<<"$out")"
  fi
fi

# -- a HEIC (phone) and a DNG (camera RAW) ---------------------------------------------------------
# Made by the build's virtualenv (fixtures only): a small HEIC with EXIF, and the DNG of the tests.
# The HEIC must come back as a HEIC ("ftyp" box) with its camera, the DNG as a TIFF.
fixtures=""
for py in "$REPO/.venv/bin/python" python3; do
  if "$py" -c "
import sys, numpy as np, pillow_heif; from PIL import Image
pillow_heif.register_heif_opener()
y, x = np.mgrid[0:96, 0:128]
rgb = np.stack([x * 2, y * 2, (x + y) % 256], -1).astype(np.uint8)
exif = Image.Exif(); exif[0x010F] = 'SmokeCam'
Image.fromarray(rgb).save(sys.argv[1], format='HEIF', quality=90, exif=exif.tobytes())" \
      "$TMP/phone.heic" 2>/dev/null && "$py" "$REPO/tests/raw_sample.py" "$TMP/camera.dng" 2>/dev/null
  then fixtures=1; break; fi
done
if [ -z "$fixtures" ]; then
  fail "could not make the HEIC and DNG fixtures (needs the build's .venv)"
else
  if out=$(clean "$DIST/deblur" "$TMP/phone.heic" "$TMP/camera.dng" -o "$TMP/formats" --tile 0 \
      --quiet 2>&1); then
    heic=$TMP/formats/phone_deblurred.heic
    dng=$TMP/formats/camera_deblurred.tif
    if [ "$(od -An -c -j4 -N4 "$heic" 2>/dev/null | tr -d ' ')" = ftyp ] &&
        grep -q SmokeCam "$heic"; then
      pass "deblur phone.heic -> HEIC with its EXIF"
    else
      fail "HEIC output missing or not HEIC: $(ls -la "$TMP/formats" 2>&1)"
    fi
    if [ "$(od -An -tx1 -N4 "$dng" 2>/dev/null | tr -d ' ')" = 49492a00 ] &&
        grep -q DeblurCam "$dng" && grep -q "Deblur Studio" "$dng"; then
      pass "deblur camera.dng -> 16-bit TIFF with the RAW's EXIF and the processing record"
    else
      fail "DNG output missing or not a TIFF: $(ls -la "$TMP/formats" 2>&1)"
    fi
  else
    fail "deblur on a HEIC and a DNG: $(tail -n 8 <<<"$out")"
  fi
fi

# -- the GUI, headless ----------------------------------------------------------------------------
gui=${SMOKE_GUI:-auto}
[ "$gui" = auto ] && { [ -f "$REPO/deblur_app/gui/app.py" ] && gui=1 || gui=0; }
if [ "$gui" = 1 ]; then
  t0=$(date +%s)
  if out=$(clean "$DIST/deblur-studio" --self-test 2>&1) &&
      { [ "${backend:-torch}" != openvino ] || grep -q "OpenVINO" <<<"$out"; }; then
    pass "deblur-studio --self-test ($(( $(date +%s) - t0 )) s): $(tail -n 1 <<<"$out")"
  else
    fail "deblur-studio --self-test: $(tail -n 20 <<<"$out")"
  fi
  # The window itself (Qt's plugins, icons, style), rendered offscreen after deblurring the crop.
  if clean "$DIST/deblur-studio" --help 2>/dev/null | grep -q -- --screenshot; then
    t0=$(date +%s)
    if out=$(clean "$DIST/deblur-studio" --screenshot "$TMP/window.png" "${input:-}" 2>&1) &&
        [ "$(od -An -tx1 -j1 -N3 "$TMP/window.png" 2>/dev/null | tr -d ' ')" = 504e47 ]; then
      pass "deblur-studio --screenshot: the window renders ($(( $(date +%s) - t0 )) s)"
      [ -n "${SMOKE_KEEP:-}" ] && cp "$TMP/window.png" "$SMOKE_KEEP"
    else
      fail "deblur-studio --screenshot: $(tail -n 20 <<<"$out")"
    fi
  fi
else
  echo "  skip  deblur-studio --self-test (no deblur_app/gui/app.py in this checkout)"
fi

# -- libraries the bundle must carry itself --------------------------------------------------------
# Libraries that the system provides (libc, libGL, X11/Wayland, fontconfig, GTK for one optional
# Qt theme plugin) may be absent on a build machine; only report those.
missing=$(find "$DIST/_internal" -type f -name '*.so*' -print0 |
  xargs -0 -n 50 ldd 2>/dev/null | grep "not found" | awk '{print $1}' | sort -u)
must=$(grep -E '^(libQt6|libpyside|libshiboken|libtorch|libc10|libpython|libgomp|libopenblas|libopenvino|libtbb|lib(av|sw)[a-z]*-|libexiv2|libheif|libde265|libx265|libraw)' \
  <<<"$missing")
if [ -n "$must" ]; then
  fail "bundled libraries missing from the bundle: $(tr '\n' ' ' <<<"$must")"
else
  pass "every library the bundle should carry is inside it"
fi
other=$(grep -vE '^(libQt6|libpyside|libshiboken|libtorch|libc10|libpython)' <<<"$missing" | grep .)
[ -n "$other" ] && echo "  note  system libraries not on this machine (optional plugins): $(tr '\n' ' ' <<<"$other")"

if [ "$failures" -eq 0 ]; then
  echo "smoke test passed"
else
  echo "smoke test FAILED ($failures check(s))"
fi
exit $(( failures > 0 ))
