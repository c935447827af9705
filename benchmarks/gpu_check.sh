#!/usr/bin/env bash
# What a session with a lent CUDA GPU runs, in one go (docs/performance.md, "GPU"):
# throughput in float32 / TF32 / bf16 autocast, eager steps against CUDA-graph replays,
# data-parallel training over NCCL under torchrun, and the sampler's tests with
# device="auto" resolving to CUDA.
#   bash benchmarks/gpu_check.sh            # logs under $OUT (default: gpu-check/)
# Needs a python3 with a CUDA build of torch, scikit-learn, pandas, click, tqdm, pytest,
# hypothesis and imbalanced-learn.
set -u
OUT=${OUT:-gpu-check}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv

echo "== speed"
python3 benchmarks/speed.py --only gpu 2>&1 | tee "$OUT/speed-gpu.txt"

echo "== CUDA graph probe: eager against replayed steps"
python3 benchmarks/gpu_graph_probe.py 2>&1 | tee "$OUT/gpu-graph-probe.txt"

echo "== torchrun (python3 -m torch.distributed.run), NCCL"
work=$(mktemp -d)
python3 - "$work" <<'PY'
import sys
import numpy as np
import pandas as pd
rng = np.random.default_rng(0)
for part in range(2):
    n = 3000
    frame = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"x{i}" for i in range(6)])
    frame["label"] = np.where(rng.random(n) < 0.1, "rare", "common")
    frame.to_csv(f"{sys.argv[1]}/part-{part}.csv", index=False)
PY
python3 -m torch.distributed.run --standalone --nproc_per_node 1 -m vaeaug fit "$work"/part-0.csv "$work"/part-1.csv \
    --target label -o "$work/model.vaeaug" --device cuda --epochs 3 -q 2>&1 | tail -5
python3 -m vaeaug sample "$work/model.vaeaug" -n 1000 -o "$work/new.csv" 2>&1 | tail -3
python3 -c "import pandas as pd, sys; f = pd.read_csv(sys.argv[1]); \
print('sampled', f.shape, 'NaN:', int(f.isna().sum().sum()), f['label'].value_counts().to_dict())" \
    "$work/new.csv"

echo "== tests with device='auto' -> CUDA"
python3 -m pytest -q -p no:cacheprovider tests/test_cuda.py tests/test_training.py \
    tests/test_fast_step.py tests/test_generation.py tests/test_sampler.py \
    tests/test_reliability.py tests/test_images.py tests/test_evaluate.py 2>&1 \
    | tee "$OUT/pytest-gpu.txt" | tail -15
