"""The validation report: a fixed, seeded set of blurred crops of the validation photos, and
real blurred photos with their sharp references.

    python -m deblur_app.training.evaluate --weights weights/mimo-unet-lite.safetensors \
        [--weights other.safetensors ...] [--photos DIR] [--real DIR] [--out report_dir]

The set is described by ``data/validation_manifest.json`` (photo, working size, crop, blur kind,
severity, seed): the same on every machine.  For each item the blurred input, a classical baseline
(unsharp masking) and every set of weights are scored with PSNR and SSIM against the sharp crop;
the report (Markdown + JSON) gives them per blur kind and overall, with a few side-by-side crops.

The real-photo table (:func:`real_table`) scores the same weights on the pairs of
``../shared/data/real_validation`` (``blurred/NAME.png`` + ``sharp/NAME.png``; kept outside the
repository, never committed): per source group (the name prefix), PSNR, SSIM and how many photos
each model made worse than its blurred input.  Either part runs alone: ``--photos`` missing gives
only the real table (``--no-synthetic``), ``--real none`` only the synthetic one.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
import torch

from ..imaging.sharpness import mean_gradient
from .data import is_validation, list_photos, load_photo
from .degrade import BLUR_KINDS, degrade, random_spec
from .kernels import KERNEL_SIZE
from .metrics import psnr, ssim

MANIFEST = Path(__file__).with_name("data") / "validation_manifest.json"
MARGIN = KERNEL_SIZE // 2
CROP = 192
SEVERITIES = (0.25, 0.65)
BASELINE = {"amount": 1.5, "radius": 2.0, "threshold": 0.0}


def make_manifest(folder: Path, path: Path = MANIFEST, seed: int = 2021) -> dict:
    """Build the fixed validation set from the validation photos of ``folder``."""
    items = []
    photos = [p for p in list_photos(folder) if is_validation(p.name)]
    full = CROP + 2 * MARGIN
    for pi, p in enumerate(photos):
        img = load_photo(p)
        h, w = img.shape[:2]
        if min(h, w) < full:
            continue
        cands = [(x, y) for y in range(0, h - full + 1, full // 2)
                 for x in range(0, w - full + 1, full // 2)]
        good = [c for c in cands
                if mean_gradient(img[c[1] + MARGIN:c[1] + MARGIN + CROP,
                                       c[0] + MARGIN:c[0] + MARGIN + CROP]) >= 6.0] or cands
        rng = np.random.default_rng([seed, pi])
        for kind in BLUR_KINDS:
            for s in SEVERITIES:
                x, y = good[int(rng.integers(len(good)))]
                items.append({"photo": p.stem, "size": [w, h], "crop": [int(x), int(y), full],
                              "kind": kind, "severity": s,
                              "seed": int(rng.integers(2 ** 31))})
    manifest = {"crop": CROP, "margin": MARGIN, "severities": list(SEVERITIES),
                "photos": sorted({i["photo"] for i in items}), "items": items}
    path.write_text(json.dumps(manifest, indent=1))
    return manifest


def load_items(folder: Path, manifest_path: Path = MANIFEST, limit: int | None = None):
    """(item, blurred, sharp) for every manifest item whose photo is present in ``folder``."""
    manifest = json.loads(Path(manifest_path).read_text())
    by_name = {p.stem: p for p in list_photos(folder)}
    cache: dict[str, np.ndarray] = {}
    out, missing = [], set()
    for it in manifest["items"][:limit]:
        src = by_name.get(it["photo"])
        if src is None:
            missing.add(it["photo"])
            continue
        if it["photo"] not in cache:
            img = cv2.imread(str(src), cv2.IMREAD_COLOR)[..., ::-1]
            w, h = it["size"]
            if img.shape[1] != w or img.shape[0] != h:
                img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
            cache[it["photo"]] = np.ascontiguousarray(img)
        x, y, full = it["crop"]
        crop = cache[it["photo"]][y:y + full, x:x + full]
        rng = np.random.default_rng(it["seed"])
        spec = random_spec(rng, full, full, kind=it["kind"], severity=it["severity"])
        t = torch.from_numpy(crop.copy()).permute(2, 0, 1)[None].float() / 255
        gen = torch.Generator().manual_seed(it["seed"])
        blurred, sharp = degrade(t, [spec], manifest["margin"], generator=gen)
        out.append((it, blurred[0].permute(1, 2, 0).numpy(), sharp[0].permute(1, 2, 0).numpy()))
    return out, sorted(missing)


def _restore(model, img: np.ndarray, device) -> np.ndarray:
    """The fine output for an HxWx3 float image (reflect-padded to a multiple of 4 and back)."""
    h, w = img.shape[:2]
    ph, pw = -h % 4, -w % 4
    with torch.no_grad():
        x = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None].to(device)
        if ph or pw:
            x = torch.nn.functional.pad(x, (0, pw, 0, ph), mode="reflect")
        fine = model(x)[-1][..., :h, :w]
    return fine[0].clamp(0, 1).permute(1, 2, 0).cpu().numpy()


# --- real blurred photos ------------------------------------------------------------------------

REAL_DEFAULT = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real_validation"
REAL_GROUPS = ("gopro_", "goprotrain_crop_dgan_", "deblurganod_crop_")
REAL_SUMMARY = "all"


def real_group(name: str) -> str:
    """The source group of a pair: the longest known prefix of its name (or 'other')."""
    hits = [g for g in REAL_GROUPS if name.startswith(g)]
    return max(hits, key=len).rstrip("_") if hits else "other"


def _read_rgb(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise SystemExit(f"{path}: cannot be read as an image")
    return np.ascontiguousarray(img[..., ::-1]).astype(np.float32) / 255


def load_real_pairs(folder: Path) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, blurred, sharp) for every ``blurred/NAME.png`` with a ``sharp/NAME.png``."""
    folder = Path(folder)
    blurred = sorted((folder / "blurred").glob("*.png"))
    if not blurred:
        raise SystemExit(f"{folder}: no real validation pairs (expected blurred/*.png and "
                         "sharp/*.png)")
    pairs = []
    for b in blurred:
        s = folder / "sharp" / b.name
        if not s.is_file():
            raise SystemExit(f"{s}: the sharp reference of {b.name} is missing")
        bi, si = _read_rgb(b), _read_rgb(s)
        if bi.shape != si.shape:
            raise SystemExit(f"{b.name}: blurred {bi.shape[:2]} and sharp {si.shape[:2]} differ")
        pairs.append((b.stem, bi, si))
    return pairs


def score_real(outputs: dict[str, list[np.ndarray]],
               pairs: list[tuple[str, np.ndarray, np.ndarray]]) -> dict:
    """Per method and source group: mean PSNR, mean SSIM, photos made worse (PSNR below the
    blurred input's), and each photo's PSNR.  ``outputs`` must include 'blurred input'."""
    base = [psnr(b, s) for _, b, s in pairs]
    rows = {}
    for method, outs in outputs.items():
        per: dict[str, list] = defaultdict(list)
        photos = {}
        for (name, _, sharp), out, p0 in zip(pairs, outs, base):
            p, q = psnr(out, sharp), ssim(out, sharp)
            photos[name] = round(p, 3)
            for g in (real_group(name), REAL_SUMMARY):
                per[g].append((p, q, p < p0 - 1e-9))
        rows[method] = {g: {"psnr": round(float(np.mean([v[0] for v in vals])), 3),
                            "ssim": round(float(np.mean([v[1] for v in vals])), 4),
                            "worse": int(sum(v[2] for v in vals)), "n": len(vals)}
                        for g, vals in per.items()}
        rows[method]["photos"] = photos
    return rows


def real_table(models: dict[str, object], folder: Path, device="cpu", log=print) -> dict:
    """Score already loaded models on the real pairs of ``folder``."""
    pairs = load_real_pairs(folder)
    outputs = {"blurred input": [b for _, b, _ in pairs]}
    for name, model in models.items():
        t = time.time()
        outputs[name] = [_restore(model, b, device) for _, b, _ in pairs]
        log(f"{name}: {len(pairs)} real photos in {time.time() - t:.1f} s")
    return {"folder": str(folder), "pairs": len(pairs), "results": score_real(outputs, pairs)}


def real_table_md(real: dict) -> list[str]:
    res = real["results"]
    groups = [g.rstrip("_") for g in REAL_GROUPS if g.rstrip("_") in res["blurred input"]]
    groups += [REAL_SUMMARY]
    n = {g: res["blurred input"][g]["n"] for g in groups}
    lines = [f"Real blurred photos ({real['pairs']} pairs from `real_validation`): "
             "PSNR (dB, RGB) / SSIM (luma) / photos made worse than the input.", "",
             "| method | " + " | ".join(f"{g} ({n[g]})" for g in groups) + " |",
             "|---|" + "---|" * len(groups)]
    for name, r in res.items():
        lines.append(f"| {name} | " + " | ".join(
            f"{r[g]['psnr']:.2f} / {r[g]['ssim']:.3f} / {r[g]['worse']}" for g in groups) + " |")
    return lines


# --- the report ---------------------------------------------------------------------------------

def _synthetic(weights, models, folder, out_dir, device, limit, examples, log, manifest):
    from ..imaging.postprocess import unsharp_mask
    items, missing = load_items(folder, manifest, limit=limit)
    if not items:
        raise SystemExit(f"no validation photos found in {folder}")
    if missing:
        log(f"note: {len(missing)} validation photos are not in {folder}: {', '.join(missing)}")
    methods: dict[str, list[np.ndarray]] = {
        "blurred input": [b for _, b, _ in items],
        "unsharp mask": [unsharp_mask(b, **BASELINE) for _, b, _ in items]}
    info = {}
    for w in weights:
        t = time.time()
        methods[w.name] = [_restore(models[w.name], b, device) for _, b, _ in items]
        info[w.name] = {"seconds": round(time.time() - t, 1)}
        log(f"{w.name}: {len(items)} crops in {time.time() - t:.1f} s")
    rows: dict[str, dict] = {}
    for name, outs in methods.items():
        per = defaultdict(list)
        for (it, _, sharp), out in zip(items, outs):
            score = (psnr(out, sharp), ssim(out, sharp))
            per[it["kind"]].append(score)
            per["all"].append(score)
        rows[name] = {k: {"psnr": round(float(np.mean([s[0] for s in v])), 3),
                          "ssim": round(float(np.mean([s[1] for s in v])), 4), "n": len(v)}
                      for k, v in per.items()}
    kinds = [k for k in BLUR_KINDS if k in rows["blurred input"]] + ["all"]
    lines = [f"{len(items)} crops of {CROP}x{CROP} from "
             f"{len({i['photo'] for i, _, _ in items})} validation photos, blur kinds x "
             f"severities {list(SEVERITIES)}; PSNR (dB, RGB) / SSIM (luma).", "",
             "| method | " + " | ".join(kinds) + " |",
             "|---|" + "---|" * len(kinds)]
    for name, r in rows.items():
        lines.append(f"| {name} | " + " | ".join(
            f"{r[k]['psnr']:.2f} / {r[k]['ssim']:.3f}" for k in kinds) + " |")
    # side-by-side examples: sharp | blurred | each set of weights
    pick = np.linspace(0, len(items) - 1, min(examples, len(items))).astype(int)
    for j, i in enumerate(pick):
        it, blurred, sharp = items[i]
        tiles = [sharp, blurred] + [methods[w.name][i] for w in weights]
        strip = np.concatenate(tiles, axis=1)
        name = f"example_{j}_{it['kind']}.png"
        cv2.imwrite(str(out_dir / name), (np.clip(strip, 0, 1)[..., ::-1] * 255 + 0.5)
                    .astype(np.uint8))
        lines.append(f"\n![{it['kind']}]({name}) sharp | blurred | "
                     + " | ".join(w.name for w in weights))
    return {"items": len(items), "missing_photos": missing, "baseline": BASELINE,
            "weights": info, "results": rows}, lines


def evaluate(weights: list[Path], folder: Path | None, out_dir: Path, device: str = "cpu",
             limit: int | None = None, examples: int = 4, log=print,
             manifest: Path = MANIFEST, real: Path | None = None) -> dict:
    """Score ``weights`` on the synthetic set of ``folder`` and/or the real pairs of ``real``
    (either may be None); writes report.md and report.json into ``out_dir``."""
    from ..model import load_model
    if folder is None and real is None:
        raise SystemExit("nothing to evaluate: give validation photos and/or real pairs")
    models, variants = {}, {}
    for w in weights:
        model, variant = load_model(w)
        models[w.name] = model.eval().to(device)
        variants[w.name] = variant.name
    out_dir.mkdir(parents=True, exist_ok=True)
    report: dict = {"items": 0, "results": {}}
    lines = ["# Validation report", ""]
    if folder is not None:
        synth, synth_lines = _synthetic(weights, models, folder, out_dir, device, limit,
                                        examples, log, manifest)
        for name, v in variants.items():
            synth["weights"][name]["variant"] = v
        report.update(synth)
        lines += ["## Synthetic blur", ""] + synth_lines + [""]
    if real is not None:
        report["real"] = real_table(models, real, device, log)
        lines += ["## Real blurred photos", ""] + real_table_md(report["real"]) + [""]
    (out_dir / "report.json").write_text(json.dumps(report, indent=1))
    (out_dir / "report.md").write_text("\n".join(lines) + "\n")
    return report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Score weights on the fixed validation set.")
    ap.add_argument("--weights", type=Path, action="append", default=[])
    ap.add_argument("--photos", type=Path, default=None,
                    help="validation photos for the synthetic set (default: the fetched photos)")
    ap.add_argument("--no-synthetic", action="store_true", help="only the real-photo table")
    ap.add_argument("--real", default=str(REAL_DEFAULT),
                    help="folder of real blurred/sharp pairs, or 'none' (default: "
                         "../shared/data/real_validation beside the repository)")
    ap.add_argument("--out", type=Path, default=Path("eval_report"))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--examples", type=int, default=4, help="side-by-side PNGs to save")
    ap.add_argument("--limit", type=int, default=None, help="only the first N items")
    ap.add_argument("--make-manifest", action="store_true",
                    help="(maintainers) rebuild the fixed validation manifest from --photos")
    args = ap.parse_args(argv)
    folder = args.photos
    if folder is None:
        from .photos import default_cache_dir
        folder = default_cache_dir()
    if args.make_manifest:
        m = make_manifest(folder)
        print(f"{len(m['items'])} items from {len(m['photos'])} photos -> {MANIFEST}")
        return 0
    if args.photos is None and not folder.is_dir() and not args.no_synthetic:
        print(f"note: no validation photos at {folder}; real-photo table only")
        args.no_synthetic = True
    real = None if args.real.lower() == "none" else Path(args.real)
    if real is not None and not real.is_dir():
        if args.real != str(REAL_DEFAULT):
            raise SystemExit(f"{real}: no such folder of real validation pairs")
        print(f"note: no real validation pairs at {real}; synthetic table only")
        real = None
    report = evaluate(args.weights, None if args.no_synthetic else folder, args.out,
                      args.device, args.limit, args.examples, real=real)
    print((args.out / "report.md").read_text())
    return 0 if report["items"] or report.get("real") else 1


if __name__ == "__main__":
    sys.exit(main())
