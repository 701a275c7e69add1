"""Train (or continue training) a MIMO-UNet variant on synthetic blur made on the training device.

    python -m deblur_app.training.train --model mimo-unet-lite --minutes 60 --resume
    python -m deblur_app.training.train --model mimo-unet --init weights/mimo-unet.safetensors \
        --state-in weights/mimo-unet.train-state.safetensors --minutes 10 --export out.safetensors
    torchrun --nproc_per_node 4 -m deblur_app.training.train --model mimo-unet ...

Data: the sharp photos are uploaded once to the device as uint8 and every batch is cut, augmented
and degraded there (:mod:`.sharp_bank`, :mod:`.batch_synth`); no DataLoader worker.  Model step:
bfloat16 autocast, channels_last and fused Adam on CUDA, ``--compile`` for ``torch.compile``.

Steps are global: the step count and patches seen travel in the exported weights' metadata, and
the learning rate is a pure function of the global step (:mod:`.schedule`), so a chain of short
chunks on different machines trains like one long run.  An exponential moving average of the
weights is kept; it is what ``--export`` and ``latest.safetensors`` hold.

Checkpoints (model, EMA, optimiser, steps, data generator states) are written every few minutes,
at the end, and on SIGTERM / Ctrl+C; ``--resume`` continues from the last one exactly.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from ..atomic import atomic_write_bytes
from ..engine.progress import CancelToken, Cancelled, no_progress
from ..model import build, get_variant, read_state_dict
from ..model.weights import load_into
from . import checkpoint as ck
from .batch_synth import BatchMaker, SynthConfig
from .data import load_photo, split_photos, write_split
from .loss import mimo_loss
from .schedule import EMA, lr_at, resume_ramp
from .sharp_bank import SharpBank, leaves_images


def default_run_dir(model: str) -> Path:
    from platformdirs import user_data_dir
    return Path(user_data_dir("deblur-studio")) / "runs" / model


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="Train MIMO-UNet on synthetic blur.")
    ap.add_argument("--model", default="mimo-unet-lite")
    ap.add_argument("--photos", type=Path, default=None,
                    help="folder of sharp photos (default: the fetched training photos)")
    ap.add_argument("--run-dir", type=Path, default=None, help="checkpoints and logs")
    ap.add_argument("--init", type=Path, default=None,
                    help="start from these weights (.safetensors: their step count too, or an "
                         "original .pkl)")
    ap.add_argument("--state-in", type=Path, default=None,
                    help="compact optimiser state that belongs to --init (if it fits)")
    ap.add_argument("--resume", action="store_true", help="continue from run-dir/last.pt")
    ap.add_argument("--minutes", type=float, default=None, help="stop after this wall time")
    ap.add_argument("--steps", "--stop-at", dest="steps", type=int, default=None,
                    help="stop when the global step reaches this")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--patch", type=int, default=128)
    ap.add_argument("--kernel", type=int, default=65,
                    help="blur kernel size (longest motion ~ kernel - 8 px; margin kernel // 2)")
    ap.add_argument("--lr", type=float, default=2e-4, help="base learning rate")
    ap.add_argument("--warmup", type=int, default=300, help="global warm-up steps")
    ap.add_argument("--plateau", type=int, default=1000,
                    help="inverse-sqrt decay of the rate after this global step")
    ap.add_argument("--ramp", type=int, default=500,
                    help="steps to ramp the rate up when no optimiser state was loaded")
    ap.add_argument("--ema", type=float, default=0.999, help="EMA decay of the weights")
    ap.add_argument("--clip", type=float, default=1.0, help="gradient norm clipping")
    ap.add_argument("--dead-leaves", type=float, default=0.2, help="share of procedural patches")
    ap.add_argument("--leaves", type=int, default=24, help="dead-leaves images in the bank")
    ap.add_argument("--long-share", type=float, default=0.3, help="share of long blurs")
    ap.add_argument("--gamma-share", type=float, default=0.5,
                    help="share of samples blurred in sRGB values, not linear light")
    ap.add_argument("--max-photo-mp", type=float, default=1.5, help="downscale photos to this")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--amp", choices=["auto", "bf16", "fp16", "off"], default="auto")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--log-every", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--export", type=Path, default=None,
                    help="also write the final EMA weights here (.safetensors)")
    ap.add_argument("--export-half", action="store_true", help="export in float16")
    ap.add_argument("--state-out", type=Path, default=None,
                    help="write the compact optimiser state for the exported weights here")
    return ap.parse_args(argv)


def _dist_setup():
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, 0
    import torch.distributed as dist
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend)
    return dist.get_rank(), world, int(os.environ.get("LOCAL_RANK", "0"))


def _device(name: str, local_rank: int) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", local_rank)
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda":
        return torch.device("cuda", local_rank)
    return torch.device(name)


@dataclass
class Trainer:
    """Everything one run holds: the model and its EMA, the optimiser, the batch maker."""
    args: argparse.Namespace
    model: torch.nn.Module
    forward: object            # the model as called (DDP- and/or compile-wrapped)
    opt: torch.optim.Optimizer
    ema: EMA
    maker: BatchMaker
    device: torch.device
    amp_dtype: torch.dtype | None
    scaler: torch.amp.GradScaler
    rank: int = 0
    world: int = 1
    step: int = 0              # global step (across chunks and machines)
    seen: int = 0              # global patches seen
    local: int = 0             # steps of this process
    ramp: int = 0              # > 0 while ramping up without optimiser state
    seconds: float = 0.0       # time spent in the training loop of this process


def make_bank(args, device, log) -> tuple[SharpBank, list[Path], list[Path]]:
    folder = args.photos
    if folder is None:
        from .photos import default_cache_dir
        folder = default_cache_dir()
    train_paths, val_paths = split_photos(folder)
    photos = [load_photo(p, args.max_photo_mp * 1e6) for p in train_paths]
    full = args.patch + 2 * (args.kernel // 2)
    leaves = leaves_images(args.seed, args.leaves, 2 * full) if args.leaves else []
    bank = SharpBank(photos, device, leaves=leaves, leaves_share=args.dead_leaves)
    log(f"{len(photos)} training photos ({len(val_paths)} kept for validation) from {folder} "
        f"and {len(leaves)} dead-leaves images: {bank.nbytes / 2 ** 20:.0f} MiB on {device}")
    return bank, train_paths, val_paths


def setup(args, log, bank: SharpBank | None = None) -> Trainer:
    """Model, optimiser, EMA and batch maker on the chosen device (``bank``: sharp material
    already on that device; by default the photos of --photos and dead-leaves images)."""
    rank, world, local_rank = _dist_setup()
    device = _device(args.device, local_rank)
    if args.threads:
        torch.set_num_threads(args.threads)
    cuda = device.type == "cuda"
    torch.manual_seed(args.seed)  # the same initial weights on every rank and every run
    model = build(args.model)
    if cuda:
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        model = model.to(device, memory_format=torch.channels_last)
    else:
        model = model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999),
                           **({"fused": True} if cuda else {}))
    forward = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel
        forward = DistributedDataParallel(model, device_ids=[local_rank] if cuda else None)
    if args.compile:
        forward = torch.compile(forward)
    amp = args.amp
    if amp == "auto":
        amp = "bf16" if cuda and torch.cuda.is_bf16_supported() else "off"
    amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(amp)
    scaler = torch.amp.GradScaler("cuda", enabled=(amp == "fp16"))
    if bank is None:
        bank, _, _ = make_bank(args, device, log)
    cfg = SynthConfig(patch=args.patch, kernel=args.kernel, long_share=args.long_share,
                      gamma_share=args.gamma_share)
    maker = BatchMaker(bank, cfg, seed=args.seed + 1000 * rank)
    return Trainer(args, model, forward, opt, EMA(model, args.ema), maker, device, amp_dtype,
                   scaler, rank, world)


def resume(t: Trainer, run_dir: Path, log) -> None:
    """Continue from run-dir/last.pt (--resume), or start from --init weights (with their global
    step and, when it belongs to them, the compact optimiser state), or from scratch."""
    args = t.args
    last = run_dir / "last.pt"
    if args.resume and last.exists():
        state = ck.load_checkpoint(last)
        t.model.load_state_dict(state["model"])
        t.opt.load_state_dict(state["optimizer"])
        t.step, t.seen = state["step"], state["patches_seen"]
        if "ema" in state and "data" in state:
            t.ema.load_state_dict(state["ema"])
            t.maker.load_state(state["data"])
        else:  # a checkpoint of the earlier CPU-worker pipeline: no EMA, other data stream
            t.ema = EMA(t.model, args.ema)
            log("an older checkpoint: EMA restarts from its weights, a new data stream")
        log(f"resumed from {last} at step {t.step}")
        return
    if args.init:
        load_into(t.model, read_state_dict(args.init), str(args.init))
        meta = ck.weights_metadata(args.init)
        t.step, t.seen = int(meta.get("steps", 0)), int(meta.get("patches_seen", 0))
        t.ema = EMA(t.model, args.ema)
        why = "none given"
        if args.state_in:
            why = ck.load_state_into(args.state_in, t.opt, t.model, ck.file_sha256(args.init))
        t.ramp = 0 if why is None else args.ramp
        log(f"initialised from {args.init} at global step {t.step}; optimiser state: "
            + ("loaded" if why is None else f"fresh ({why}), rate ramped over {t.ramp} steps"))


def train_step(t: Trainer, blurred: torch.Tensor, sharp: torch.Tensor):
    """One optimiser step at the scheduled rate; returns (loss, parts) as device tensors."""
    args = t.args
    lr = lr_at(t.step, args.lr, args.warmup, args.plateau) * resume_ramp(t.local, t.ramp)
    for g in t.opt.param_groups:
        g["lr"] = lr
    if t.device.type == "cuda":
        blurred = blurred.contiguous(memory_format=torch.channels_last)
    with torch.autocast(t.device.type, dtype=t.amp_dtype or torch.float32,
                        enabled=t.amp_dtype is not None):
        outs = t.forward(blurred)
    loss, parts = mimo_loss(outs, sharp)
    t.opt.zero_grad(set_to_none=True)
    t.scaler.scale(loss).backward()
    t.scaler.unscale_(t.opt)
    torch.nn.utils.clip_grad_norm_(t.model.parameters(), args.clip, foreach=True)
    t.scaler.step(t.opt)
    t.scaler.update()
    t.ema.update(t.model)
    t.step += 1
    t.local += 1
    t.seen += args.batch * t.world
    return loss.detach(), parts, lr


def export_metadata(t: Trainer) -> dict[str, str]:
    a = t.args
    return {"variant": a.model, "steps": str(t.step), "patches_seen": str(t.seen),
            "patch": str(a.patch), "ema": str(a.ema),
            "schedule": f"inverse-sqrt lr {a.lr} warmup {a.warmup} plateau {a.plateau}"}


def save(t: Trainer, run_dir: Path) -> None:
    """last.pt (everything, for --resume) and the EMA weights; the exports if asked for."""
    if t.rank != 0:
        return
    ck.save_checkpoint(run_dir / "last.pt", {
        "model": t.model.state_dict(), "optimizer": t.opt.state_dict(),
        "ema": t.ema.state_dict(), "step": t.step, "patches_seen": t.seen,
        "data": t.maker.state(), "variant": t.args.model, "config": vars(t.model.config),
        "args": {k: str(v) for k, v in vars(t.args).items()}})
    meta = export_metadata(t)
    ck.save_weights(run_dir / "latest.safetensors", t.ema.state_dict(), t.model.config,
                    metadata=meta)
    if t.args.export:
        sha = ck.save_weights(t.args.export, t.ema.state_dict(), t.model.config,
                              half=t.args.export_half, metadata=meta)
        if t.args.state_out:
            atomic_write_bytes(t.args.state_out, ck.state_bytes(t.opt, t.model, t.step, sha))


def run(args, progress=no_progress, cancel: CancelToken | None = None, log=print) -> Trainer:
    """Train until --steps, --minutes or ``cancel``; checkpoints along the way and at the end."""
    cancel = cancel or CancelToken()
    run_dir = args.run_dir or default_run_dir(args.model)
    run_dir.mkdir(parents=True, exist_ok=True)
    if args.steps is None and args.minutes is None:
        raise SystemExit("give --steps or --minutes")
    t = setup(args, log)
    variant = get_variant(args.model)
    log(f"{variant.title}: {sum(p.numel() for p in t.model.parameters()) / 1e6:.2f} M "
        f"parameters, device {t.device}, world {t.world}, amp {t.amp_dtype}, "
        f"compile {args.compile}")
    if t.rank == 0:
        folder = args.photos
        if folder is not None:
            write_split(run_dir / "split.json", *split_photos(folder))
    resume(t, run_dir, log)
    start, t_ckpt = time.time(), time.time()
    budget = args.minutes * 60 if args.minutes else None
    t_log, n_log, loss_acc = time.time(), 0, torch.zeros((), device=t.device)
    t.model.train()
    try:
        while True:
            if args.steps is not None and t.step >= args.steps:
                break
            if budget is not None and time.time() - start >= budget:
                break
            cancel.check()
            blurred, sharp = t.maker.next(args.batch)
            loss, parts, lr = train_step(t, blurred, sharp)
            loss_acc += loss
            n_log += 1
            if n_log >= args.log_every:
                dt = time.time() - t_log
                log(f"step {t.step} loss {float(loss_acc) / n_log:.4f} (content "
                    f"{float(parts['content']):.4f} freq {float(parts['freq']):.3f}) lr {lr:.2e}"
                    f" {n_log * args.batch * t.world / dt:.1f} patches/s")
                t_log, n_log, loss_acc = time.time(), 0, torch.zeros((), device=t.device)
            total = args.steps if args.steps is not None else t.step + 1
            progress(t.step, total, f"step {t.step}")
            if time.time() - t_ckpt >= args.ckpt_minutes * 60:
                save(t, run_dir)
                t_ckpt = time.time()
                log(f"checkpoint at step {t.step}")
    except Cancelled:
        log("stopping: cancelled")
    if t.device.type == "cuda":
        torch.cuda.synchronize(t.device)
    t.seconds = time.time() - start
    save(t, run_dir)
    rate = t.local * args.batch * t.world / max(t.seconds, 1e-9)
    log(f"stopped at step {t.step} ({t.seen} patches seen in all; {t.local} steps in "
        f"{t.seconds / 60:.1f} min here, {rate:.1f} patches/s); checkpoint {run_dir / 'last.pt'}")
    if t.world > 1:
        import torch.distributed as dist
        dist.barrier()
        dist.destroy_process_group()
    return t


def main(argv=None) -> int:
    args = parse_args(argv)
    run_dir = args.run_dir or default_run_dir(args.model)
    run_dir.mkdir(parents=True, exist_ok=True)
    rank = int(os.environ.get("RANK", "0"))
    log_file = open(run_dir / "train.log", "a") if rank == 0 else None

    def log(msg):
        if rank == 0:
            line = f"{time.strftime('%H:%M:%S')} {msg}"
            print(line, flush=True)
            log_file.write(line + "\n")
            log_file.flush()

    cancel = CancelToken()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: cancel.cancel())
    args.run_dir = run_dir
    run(args, cancel=cancel, log=log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
