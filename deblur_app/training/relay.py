"""The training relay: each session lent a GPU trains the full network for one chunk, continuing
where the last chunk stopped, and new weights ship only when they are better on real photos.

    # here, before (builds what the device needs; the device cannot reach ../shared or the web)
    python -m deblur_app.training.photos && python -m deblur_app.training.pack --dest .pack
    python -m deblur_app.training.relay stage          # copies the real pairs to .real_validation
    # on the device (carry .pack and .real_validation), first thing in the session
    OUT=$OUT MINUTES=7 bash scripts/train_gpu.sh       # = python -m deblur_app.training.relay run
    # here, after, with the folder the device's files came back to
    python -m deblur_app.training.relay adopt FOLDER   # log row; weights + state if shipped

``run`` resumes from ``weights/mimo-unet.safetensors`` (its metadata holds the global step) and, if
it belongs to those weights, the compact optimiser state
``weights/mimo-unet.train-state.safetensors``;
trains for the minutes given (EMA of the weights, the open-ended schedule of :mod:`.schedule`);
scores the shipped and the new weights on the synthetic validation set and on the real pairs; and
applies :func:`ship_decision`.  Everything it returns lies in ``$OUT``.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = ROOT / "weights"
LOG = WEIGHTS / "TRAINING_LOG.md"
STAGED_REAL = ROOT / ".real_validation"
MAX_SYNTHETIC_DROP = 0.1   # dB
DEVICE_TREE_LIMIT = 64 * 2 ** 20
LOG_HEADER = ("| date (UTC) | GPU | net | minutes | steps (global) | patches (global) | patches/s "
              "| synthetic PSNR | real PSNR (worse) | shipped |")


def ship_decision(base: dict, new: dict, max_drop: float = MAX_SYNTHETIC_DROP) -> tuple[bool, str]:
    """The ship rule.  ``base`` and ``new`` hold the mean PSNR over all pairs, ``real``, and over
    the synthetic set, ``synthetic`` (dB).  New weights ship only when the real-photo score
    improves and the synthetic score drops by no more than ``max_drop`` dB."""
    if new.get("real") is None or base.get("real") is None:
        return False, "no real-photo score"
    if new.get("synthetic") is None or base.get("synthetic") is None:
        return False, "no synthetic score"
    d_real = new["real"] - base["real"]
    d_syn = new["synthetic"] - base["synthetic"]
    why = f"real {d_real:+.3f} dB, synthetic {d_syn:+.3f} dB"
    if d_real <= 0:
        return False, why + ": the real-photo score did not improve"
    if d_syn < -max_drop:
        return False, why + f": the synthetic score dropped by more than {max_drop} dB"
    return True, why


def scores(report: dict, name: str) -> dict:
    syn = report.get("results", {}).get(name, {}).get("all", {}).get("psnr")
    real = report.get("real", {}).get("results", {}).get(name, {}).get("all", {})
    return {"synthetic": syn, "real": real.get("psnr"), "real_worse": real.get("worse")}


def log_row(info: dict) -> str:
    new = info["new"]
    return (f"| {info['date']} | {info['gpu']} | {info['model']} | {info['minutes']:.1f} | "
            f"{info['steps_from']:,} -> {info['steps_to']:,} | {info['patches_to']:,} | "
            f"{info['patches_per_s']:.0f} | {_num(new['synthetic'])} | "
            f"{_num(new['real'])} ({new['real_worse']}) | "
            f"{'yes' if info['ship'] else 'no'}: {info['reason']} |")


def _num(v) -> str:
    return "-" if v is None else f"{v:.2f}"


def _stored_half(path: Path) -> bool:
    from safetensors import safe_open
    with safe_open(str(path), "pt") as f:
        return f.get_slice(next(iter(f.keys()))).get_dtype() == "F16"


def _gpu_name(device: str) -> str:
    import torch
    if device.startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name()
    return "cpu"


def cmd_run(a) -> int:
    from . import train as tr
    from .checkpoint import weights_metadata
    from .evaluate import evaluate
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    base = Path(a.weights)
    new = out / f"{a.model}.new.safetensors"
    state_out = out / f"{a.model}.new.train-state.safetensors"
    steps_from = int(weights_metadata(base).get("steps", 0))
    train_argv = ["--model", a.model, "--init", str(base), "--minutes", str(a.minutes),
                  "--run-dir", str(a.run_dir), "--export", str(new),
                  "--state-out", str(state_out), "--device", a.device,
                  "--photos", str(a.pack)] + a.train_args
    if _stored_half(base):  # the new weights in the shipped file's precision
        train_argv.append("--export-half")
    if Path(a.state).is_file():
        train_argv += ["--state-in", str(a.state)]
    log_path = out / "train.log"
    with open(log_path, "a") as fh:
        def log(msg):
            line = f"{time.strftime('%H:%M:%S')} {msg}"
            print(line, flush=True)
            fh.write(line + "\n")
            fh.flush()
        log("train " + " ".join(train_argv))
        t = tr.run(tr.parse_args(train_argv), log=log)
        minutes = t.seconds / 60  # the training loop's time, without loading and evaluating
        rate = t.local * t.args.batch / max(1e-9, t.seconds)
        real = Path(a.real) if a.real and Path(a.real).is_dir() else None
        if real is None:
            log(f"no real validation pairs at {a.real}: the ship rule cannot pass")
        extra = {"manifest": Path(a.manifest)} if a.manifest else {}
        try:
            report = evaluate([base, new], Path(a.pack), out / "eval", a.device, examples=0,
                              log=log, real=real, limit=a.limit, **extra)
        except SystemExit as exc:  # no validation photos in the pack: real pairs only
            log(f"synthetic validation impossible ({exc}); the ship rule cannot pass")
            report = evaluate([base, new], None, out / "eval", a.device, examples=0, log=log,
                              real=real) if real else {}
    info = {"date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M"),
            "gpu": _gpu_name(a.device), "model": a.model, "minutes": minutes,
            "steps_from": steps_from, "steps_to": t.step, "patches_to": t.seen,
            "patches_per_s": rate, "base": scores(report, base.name),
            "new": scores(report, new.name)}
    info["ship"], info["reason"] = ship_decision(info["base"], info["new"])
    info["row"] = log_row(info)
    (out / "relay.json").write_text(json.dumps(info, indent=1))
    if (out / "eval" / "report.md").is_file():
        print((out / "eval" / "report.md").read_text())
    print(f"\nship: {info['ship']} ({info['reason']})\n{info['row']}")
    return 0


def append_log_row(row: str, path: Path = LOG) -> None:
    text = path.read_text() if path.is_file() else "# Training log\n\n" + LOG_HEADER + "\n" \
        + "|---" * (LOG_HEADER.count("|") - 1) + "|\n"
    if row in text:
        return
    path.write_text(text.rstrip("\n") + "\n" + row + "\n")


def cmd_adopt(a) -> int:
    """Apply a relay's results here: the log row always; the weights and state when shipped."""
    src = Path(a.folder)
    info = json.loads((src / "relay.json").read_text())
    append_log_row(info["row"], Path(a.log))
    print(f"logged: {info['row']}")
    if not info["ship"]:
        print(f"not shipped ({info['reason']}); weights/ unchanged")
        return 0
    model = info["model"]
    shutil.copyfile(src / f"{model}.new.safetensors", Path(a.weights_dir) / f"{model}.safetensors")
    st = src / f"{model}.new.train-state.safetensors"
    if st.is_file():
        shutil.copyfile(st, Path(a.weights_dir) / f"{model}.train-state.safetensors")
    print(f"shipped: {model}.safetensors and its optimiser state copied into {a.weights_dir}; "
          f"update weights/{model}.md's tables from {src / 'eval' / 'report.md'}")
    return 0


def tree_bytes(root: Path = ROOT) -> int:
    """What a device call sends without carries: tracked and untracked-not-ignored files."""
    r = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                       cwd=root, capture_output=True, check=True)
    files = [root / p for p in r.stdout.decode().split("\0") if p]
    return sum(f.stat().st_size for f in files if f.is_file())


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())


def cmd_stage(a) -> int:
    """Copy the real pairs into the repository (ignored) so they can be carried to the device,
    and check that everything that travels fits the device's limit."""
    src, dest = Path(a.real), Path(a.dest)
    if not (src / "blurred").is_dir():
        raise SystemExit(f"{src}: no real validation pairs (blurred/ and sharp/)")
    if dest.exists():
        shutil.rmtree(dest)
    for sub in ("blurred", "sharp"):
        shutil.copytree(src / sub, dest / sub)
    pack = Path(a.pack)
    if not pack.is_dir():
        raise SystemExit(f"{pack}: no training pack; make it with "
                         "python -m deblur_app.training.pack --dest .pack")
    sizes = {"working tree": tree_bytes(), str(pack): folder_bytes(pack),
             str(dest.name): folder_bytes(dest)}
    total = sum(sizes.values())
    for k, v in sizes.items():
        print(f"{k:>20}: {v / 2 ** 20:6.1f} MiB")
    print(f"{'total':>20}: {total / 2 ** 20:6.1f} MiB of {DEVICE_TREE_LIMIT / 2 ** 20:.0f}")
    if total > DEVICE_TREE_LIMIT:
        print("too large for the device: make the pack smaller (fewer or smaller photos)")
        return 1
    print(f"device command: OUT=$OUT MINUTES=7 bash scripts/train_gpu.sh  "
          f"(carry: {pack.name}, {dest.name})")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="The training relay across GPU sessions.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="train one chunk, evaluate, decide (on the device)")
    r.add_argument("--model", default="mimo-unet")
    r.add_argument("--weights", default=str(WEIGHTS / "mimo-unet.safetensors"))
    r.add_argument("--state", default=str(WEIGHTS / "mimo-unet.train-state.safetensors"))
    r.add_argument("--pack", default=str(ROOT / ".pack"))
    r.add_argument("--real", default=str(STAGED_REAL))
    r.add_argument("--minutes", type=float, default=7.0)
    r.add_argument("--device", default="cuda")
    r.add_argument("--run-dir", default="/tmp/deblur_relay_run")
    r.add_argument("--out", required=True)
    r.add_argument("--manifest", default=None, help="synthetic validation manifest (tests)")
    r.add_argument("--limit", type=int, default=None, help="only the first N synthetic items")
    r.add_argument("train_args", nargs=argparse.REMAINDER,
                   help="after --: more options for deblur_app.training.train")
    d = sub.add_parser("adopt", help="log a relay's row here; take its weights if shipped")
    d.add_argument("folder")
    d.add_argument("--log", default=str(LOG))
    d.add_argument("--weights-dir", default=str(WEIGHTS))
    s = sub.add_parser("stage", help="copy the real pairs in and check the device's size limit")
    s.add_argument("--real", default=str(ROOT / ".." / "shared" / "data" / "real_validation"))
    s.add_argument("--pack", default=str(ROOT / ".pack"))
    s.add_argument("--dest", default=str(STAGED_REAL), help="(tests) where to copy the pairs")
    a = ap.parse_args(argv)
    if a.cmd == "run":
        a.train_args = [x for x in a.train_args if x != "--"]
        return cmd_run(a)
    return cmd_adopt(a) if a.cmd == "adopt" else cmd_stage(a)


if __name__ == "__main__":
    sys.exit(main())
