#!/usr/bin/env bash
# Train the full MIMO-UNet and, alongside it, the lite net on one CUDA GPU for a fixed time, then
# score both on the validation set.  Weights (float16 for the full net), the lite net's resumable
# checkpoint, logs and the report land in $OUT.
#
#   OUT=/tmp/out MINUTES=7 bash scripts/train_gpu.sh        # on a GPU machine
#   SMOKE=1 OUT=/tmp/out MINUTES=0.3 bash scripts/train_gpu.sh   # a quick check on a CPU
#
# Needs the training pack (python -m deblur_app.training.pack --dest .pack) or PACK=DIR.
set -u
OUT=${OUT:-/tmp/deblur_gpu_out}
MINUTES=${MINUTES:-7}
PACK=${PACK:-.pack}
PY=${PYTHON:-python3}
RUNS=${RUNS:-/tmp/deblur_runs}
mkdir -p "$OUT" "$RUNS"
export PYTHONUNBUFFERED=1
if [ "${SMOKE:-0}" = 1 ]; then
  DEV=cpu; FULL="--batch 2 --patch 64 --workers 1"; LITE="--batch 2 --patch 64 --workers 1"
else
  DEV=cuda; FULL="--batch 16 --patch 256 --lr 4e-4 --warmup 300 --workers 8"
  LITE="--batch 32 --patch 256 --lr 6e-4 --warmup 300 --workers 6"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
fi
$PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
common="--photos $PACK --minutes $MINUTES --ckpt-minutes 1.5 --log-every 100 --device $DEV"
$PY -m deblur_app.training.train --model mimo-unet $common $FULL --run-dir "$RUNS/full" \
    --export "$OUT/mimo-unet.safetensors" --export-half > "$OUT/train-full.log" 2>&1 &
full=$!
$PY -m deblur_app.training.train --model mimo-unet-lite $common $LITE --run-dir "$RUNS/lite" \
    --export "$OUT/mimo-unet-lite.safetensors" > "$OUT/train-lite.log" 2>&1 &
lite=$!
wait $full; rc_full=$?
wait $lite; rc_lite=$?
cp "$RUNS/lite/last.pt" "$OUT/mimo-unet-lite.last.pt" 2>/dev/null
tail -n 4 "$OUT/train-full.log" "$OUT/train-lite.log"
echo "exit codes: full $rc_full lite $rc_lite"
w=()
for f in "$OUT/mimo-unet.safetensors" "$OUT/mimo-unet-lite.safetensors"; do
  [ -f "$f" ] && w+=(--weights "$f")
done
$PY -m deblur_app.training.evaluate "${w[@]}" --photos "$PACK" --out "$OUT/eval" \
    --device $DEV --examples 0 > /dev/null && cat "$OUT/eval/report.md"
exit $(( rc_full || rc_lite ))
