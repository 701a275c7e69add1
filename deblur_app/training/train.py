"""Train (or fine-tune) a MIMO-UNet variant on synthetic blur made from sharp photos.

    python -m deblur_app.training.train --model mimo-unet-lite --minutes 60 --resume
    torchrun --nproc_per_node 4 -m deblur_app.training.train --model mimo-unet ...

Checkpoints (model, optimiser, step, schedule length, every RNG) are written every few minutes,
at the end, and on SIGTERM / Ctrl+C; ``--resume`` continues from the last one exactly.  The learning
rate is a pure function of the step (linear warm-up, then cosine), so nothing about the schedule
can drift across restarts.  With ``--minutes`` and no ``--steps`` the schedule length is estimated
from the measured speed after the first steps and then fixed (it is saved in the checkpoint).
"""
from __future__ import annotations

import argparse
import math
import os
import random
import signal
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ..model import build, get_variant, read_state_dict, save_safetensors
from ..model.weights import load_into
from .data import PatchSampler, load_photo, split_photos, write_split
from .degrade import degrade, random_spec
from .kernels import KERNEL_SIZE
from .loss import mimo_loss

MARGIN = KERNEL_SIZE // 2


def default_run_dir(model: str) -> Path:
    from platformdirs import user_data_dir
    return Path(user_data_dir("deblur-studio")) / "runs" / model


def lr_at(step: int, total: int, base: float, warmup: int) -> float:
    if step < warmup:
        return base * (step + 1) / warmup
    t = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * t)))


class BatchStream(torch.utils.data.IterableDataset):
    """Endless batches of (sharp crops with margin, blur specs), made on the CPU.

    In the main process (no workers) it draws from ``rng``, whose state goes into every
    checkpoint, so a resumed run continues the very same stream.  Worker processes each draw
    from a generator seeded by (seed, rank, start step, worker): reproducible for a given
    resume point, though not identical to an uninterrupted run.
    """

    def __init__(self, sampler: PatchSampler, batch: int, seed: int, rank: int, start: int,
                 rng: np.random.Generator | None = None):
        self.sampler, self.batch = sampler, batch
        self.seed, self.rank, self.start = seed, rank, start
        self.rng = rng

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        if info is None and self.rng is not None:
            rng = self.rng
        else:
            rng = np.random.default_rng([self.seed, self.rank, self.start,
                                         info.id if info else 0])
        full = self.sampler.size + 2 * self.sampler.margin
        while True:
            crops = self.sampler.batch(rng, self.batch)
            specs = [random_spec(rng, full, full) for _ in range(self.batch)]
            yield torch.from_numpy(crops), specs


def _collate(item):
    return item


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="Train MIMO-UNet on synthetic blur.")
    ap.add_argument("--model", default="mimo-unet-lite")
    ap.add_argument("--photos", type=Path, default=None,
                    help="folder of sharp photos (default: the fetched training photos)")
    ap.add_argument("--run-dir", type=Path, default=None, help="checkpoints and logs")
    ap.add_argument("--init", type=Path, default=None,
                    help="start from these weights (shipped .safetensors or original .pkl)")
    ap.add_argument("--resume", action="store_true", help="continue from run-dir/last.pt")
    ap.add_argument("--minutes", type=float, default=None, help="stop after this wall time")
    ap.add_argument("--steps", type=int, default=None, help="schedule length in steps")
    ap.add_argument("--stop-at", type=int, default=None,
                    help="end this run at this step (the schedule still follows --steps)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--patch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--clip", type=float, default=1.0, help="gradient norm clipping")
    ap.add_argument("--dead-leaves", type=float, default=0.2, help="share of procedural patches")
    ap.add_argument("--max-photo-mp", type=float, default=1.5, help="downscale photos to this")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--amp", choices=["auto", "bf16", "fp16", "off"], default="auto")
    ap.add_argument("--workers", type=int, default=0, help="CPU processes making batches")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--log-every", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--export", type=Path, default=None,
                    help="also write the final weights here (.safetensors)")
    ap.add_argument("--export-half", action="store_true", help="export in float16")
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


def _rng_state(np_rng):
    return {"torch": torch.get_rng_state(), "numpy": np_rng.bit_generator.state,
            "python": random.getstate(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}


def save_checkpoint(path: Path, model, opt, step, total, args, np_rng, seen, sampler):
    state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
             "leaves_drawn": sampler.leaves_drawn,
             "total_steps": total, "patches_seen": seen, "variant": args.model,
             "config": vars(model.config), "rng": _rng_state(np_rng),
             "args": {k: str(v) for k, v in vars(args).items()}}
    tmp = path.with_name(path.name + ".part")
    torch.save(state, tmp)
    tmp.replace(path)


def main(argv=None) -> int:
    args = parse_args(argv)
    rank, world, local_rank = _dist_setup()
    device = _device(args.device, local_rank)
    if args.threads:
        torch.set_num_threads(args.threads)
    run_dir = args.run_dir or default_run_dir(args.model)
    run_dir.mkdir(parents=True, exist_ok=True)
    log_file = open(run_dir / "train.log", "a") if rank == 0 else None

    def log(msg):
        if rank == 0:
            line = f"{time.strftime('%H:%M:%S')} {msg}"
            print(line, flush=True)
            log_file.write(line + "\n")
            log_file.flush()

    variant = get_variant(args.model)
    torch.manual_seed(args.seed)  # the same initial weights on every rank and every run
    random.seed(args.seed + rank)
    model = build(args.model)
    if args.init and not args.resume:
        load_into(model, read_state_dict(args.init), str(args.init))
        log(f"initialised from {args.init}")
    cuda = device.type == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True
        model = model.to(device, memory_format=torch.channels_last)
    else:
        model = model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999))

    step, total, seen, leaves_drawn = 0, args.steps, 0, 0
    np_rng = np.random.default_rng([args.seed, rank])
    last = run_dir / "last.pt"
    if args.resume and last.exists():
        ck = torch.load(last, map_location="cpu", weights_only=False)  # our own file
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        step, seen = ck["step"], ck.get("patches_seen", 0)
        leaves_drawn = ck.get("leaves_drawn", 0)
        total = args.steps or ck["total_steps"]
        torch.set_rng_state(ck["rng"]["torch"])
        np_rng.bit_generator.state = ck["rng"]["numpy"]
        random.setstate(ck["rng"]["python"])
        if cuda and ck["rng"]["cuda"] is not None:
            torch.cuda.set_rng_state_all(ck["rng"]["cuda"])
        log(f"resumed from {last} at step {step} (schedule {total} steps)")
    else:
        torch.manual_seed(args.seed + rank)

    ddp_model = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel
        ddp_model = DistributedDataParallel(model, device_ids=[local_rank] if cuda else None)

    folder = args.photos
    if folder is None:
        from .photos import default_cache_dir
        folder = default_cache_dir()
    train_paths, val_paths = split_photos(folder)
    if rank == 0:
        write_split(run_dir / "split.json", train_paths, val_paths)
    photos = [load_photo(p, args.max_photo_mp * 1e6) for p in train_paths]
    sampler = PatchSampler(photos, args.patch, MARGIN, dead_leaves_p=args.dead_leaves,
                           seed=args.seed + 1000 * rank, leaves_drawn=leaves_drawn)
    log(f"{variant.title}: {sum(p.numel() for p in model.parameters())/1e6:.2f} M parameters, "
        f"{len(sampler.photos)} training photos ({len(val_paths)} kept for validation) from "
        f"{folder}, device {device}, world {world}")

    amp = args.amp
    if amp == "auto":
        amp = "bf16" if cuda and torch.cuda.is_bf16_supported() else "off"
    amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(amp)
    scaler = torch.amp.GradScaler("cuda", enabled=(amp == "fp16"))

    stop = {"flag": False}

    def _on_signal(signum, frame):
        stop["flag"] = True
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    stream = BatchStream(sampler, args.batch, args.seed, rank, step, rng=np_rng)
    if args.workers > 0:
        loader = iter(torch.utils.data.DataLoader(
            stream, batch_size=None, num_workers=args.workers, collate_fn=_collate,
            prefetch_factor=4, persistent_workers=True))
    else:
        loader = iter(stream)

    t_start = time.time()
    t_ckpt = t_start
    t_log, n_log, loss_acc = time.time(), 0, 0.0
    budget = args.minutes * 60 if args.minutes else None
    # the speed is measured over steps 50..150 of this run: cudnn's autotuning, the workers'
    # start-up and the first allocations would make the first steps look slow
    mark_at, estimate_at, t_mark = step + 50, step + 150, None
    if total is None and budget is None:
        raise SystemExit("give --steps or --minutes")
    ddp_model.train()
    while not stop["flag"]:
        if total is not None and step >= total:
            break
        if args.stop_at is not None and step >= args.stop_at:
            break
        if budget is not None and time.time() - t_start >= budget:
            break
        crops, specs = next(loader)
        x = crops.to(device, non_blocking=True).permute(0, 3, 1, 2).float().div_(255)
        blurred, sharp = degrade(x, specs, MARGIN)
        if cuda:
            blurred = blurred.contiguous(memory_format=torch.channels_last)
        lr = lr_at(step, total or 10 ** 9, args.lr, args.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        with torch.autocast(device.type, dtype=amp_dtype or torch.float32,
                            enabled=amp_dtype is not None):
            outs = ddp_model(blurred)
        loss, parts = mimo_loss(outs, sharp)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        scaler.step(opt)
        scaler.update()
        step += 1
        seen += args.batch * world
        loss_acc += float(loss.detach())
        n_log += 1
        if step == mark_at:
            t_mark = time.time()
        if total is None and step >= estimate_at:
            # fix the schedule length from the measured speed; all ranks agree via rank 0
            rate = (step - mark_at) / max(1e-6, time.time() - t_mark)
            remaining = budget - (time.time() - t_start)
            t = torch.tensor([step + int(rate * remaining)], dtype=torch.long)
            if world > 1:
                import torch.distributed as dist
                dist.broadcast(t, 0)
            total = int(t.item())
            log(f"schedule fixed at {total} steps ({rate:.2f} steps/s measured)")
        if step % args.log_every == 0 or n_log >= args.log_every:
            dt = time.time() - t_log
            log(f"step {step}/{total} loss {loss_acc / n_log:.4f} (content {parts['content']:.4f}"
                f" freq {parts['freq']:.3f}) lr {lr:.2e} {n_log * args.batch * world / dt:.1f}"
                f" patches/s")
            t_log, n_log, loss_acc = time.time(), 0, 0.0
        if rank == 0 and time.time() - t_ckpt >= args.ckpt_minutes * 60:
            save_checkpoint(last, model, opt, step, total, args, np_rng, seen, sampler)
            save_safetensors(model, run_dir / "latest.safetensors",
                             metadata=_meta(args, step, seen))
            if args.export:
                save_safetensors(model, args.export, half=args.export_half,
                                 metadata=_meta(args, step, seen))
            t_ckpt = time.time()
            log(f"checkpoint at step {step}")
    if rank == 0:
        save_checkpoint(last, model, opt, step, total, args, np_rng, seen, sampler)
        save_safetensors(model, run_dir / "latest.safetensors", metadata=_meta(args, step, seen))
        if args.export:
            save_safetensors(model, args.export, half=args.export_half,
                             metadata=_meta(args, step, seen))
        log(f"stopped at step {step} ({seen} patches seen, "
            f"{(time.time() - t_start) / 60:.1f} min); checkpoint {last}")
    if world > 1:
        import torch.distributed as dist
        dist.barrier()
        dist.destroy_process_group()
    return 0


def _meta(args, step, seen):
    return {"variant": args.model, "steps": str(step), "patches_seen": str(seen),
            "patch": str(args.patch)}


if __name__ == "__main__":
    sys.exit(main())
