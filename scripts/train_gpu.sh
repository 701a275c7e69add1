#!/usr/bin/env bash
# The training relay, one chunk: what a session lent a GPU runs first thing.  Resumes the full
# MIMO-UNet from weights/mimo-unet.safetensors (+ its compact optimiser state if shipped), trains
# MINUTES on the GPU with the all-on-GPU data pipeline, keeps an EMA of the weights, scores shipped
# and new weights on the synthetic and the real validation sets, and applies the ship rule.
# Returned in $OUT (6 files): mimo-unet.new.safetensors, mimo-unet.new.train-state.safetensors,
# train.log, relay.json (the decision and the log row), eval/report.md, eval/report.json.
#
# Here, before:  python -m deblur_app.training.photos && python -m deblur_app.training.pack --dest .pack
#                python -m deblur_app.training.relay stage       # real pairs -> .real_validation
# Device:        run(command="OUT=$OUT MINUTES=7 bash scripts/train_gpu.sh",
#                    carry=[".pack", ".real_validation"], timeout_s=600)
# Here, after:   python -m deblur_app.training.relay adopt <files_at>   # then commit weights/
#
#   SMOKE=1 OUT=/tmp/out MINUTES=0.2 bash scripts/train_gpu.sh   # a quick check on a CPU
# Extra options for deblur_app.training.train go in TRAIN_ARGS (e.g. TRAIN_ARGS="--compile").
# BENCH=1 first prints bench/train_throughput.py's table (plain and compiled; 2 more files back).
# CHECK=1 first runs the data pipeline's tests on the GPU (DEBLUR_TEST_DEVICE=cuda).
# One device command may run 10 minutes: MINUTES=7 alone, or MINUTES=5 with CHECK=1 BENCH=1.
set -u
OUT=${OUT:-/tmp/deblur_gpu_out}
MINUTES=${MINUTES:-7}
PACK=${PACK:-.pack}
REAL=${REAL:-.real_validation}
PY=${PYTHON:-python3}
MODEL=${MODEL:-mimo-unet}   # or mimo-unet-lite (its own weights, state and log rows)
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
if [ "${SMOKE:-0}" = 1 ]; then
  DEV=cpu
  OPTS="--batch 2 --patch 64 --kernel 33 --leaves 2 --log-every 2 --ckpt-minutes 100"
else
  DEV=cuda
  OPTS="--batch 16 --patch 256 --kernel 97 --lr 4e-4 --warmup 300 --plateau 1000 --ramp 500"
  [ "$MODEL" = mimo-unet-lite ] && OPTS="--batch 32 --patch 256 --kernel 97 --lr 6e-4 \
      --warmup 300 --plateau 1000 --ramp 500"
  OPTS="$OPTS --ema 0.999 --log-every 500 --ckpt-minutes 100"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
fi
$PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
if [ "${CHECK:-0}" = 1 ]; then  # the pipeline's tests with every tensor on the GPU (~30 s)
  DEBLUR_TEST_DEVICE=$DEV $PY -m pytest -q -p no:cacheprovider tests/test_training_pipeline.py \
      2>&1 | tail -n 15
fi
if [ "${BENCH:-0}" = 1 ]; then  # the throughput table first (~1 min; then use MINUTES=6)
  if [ "$DEV" = cuda ]; then B="--model mimo-unet --batch 16 --patch 256 --kernel 97 --seconds 15"
  else B="--seconds 2"; fi
  $PY bench/train_throughput.py --device $DEV --photos "$PACK" $B --json "$OUT/throughput.json"
  [ "$DEV" = cuda ] && $PY bench/train_throughput.py --device $DEV --photos "$PACK" $B --compile \
      --json "$OUT/throughput-compiled.json"
fi
$PY -m deblur_app.training.relay run --model "$MODEL" --weights "weights/$MODEL.safetensors" \
    --state "weights/$MODEL.train-state.safetensors" --out "$OUT" --minutes "$MINUTES" \
    --pack "$PACK" --real "$REAL" --device $DEV -- $OPTS ${TRAIN_ARGS:-}
