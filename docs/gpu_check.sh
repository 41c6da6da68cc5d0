#!/usr/bin/env bash
# Everything the GPU half of the project needs checked, in one run on a machine with an NVIDIA GPU:
#   1. the GPU test cases (every parametrized test on CuPy, gradient checks included),
#   2. the bench on CuPy at res 32/64 and batch 32/128,
#   3. the PyTorch peer (shared/bench/torch_ref.py) on the same GPU, when torch is installed,
#   4. a short StyleGAN training run at 32x32 on CuPy, whose log and sample grids are kept.
# Run it from the repository root:  bash docs/gpu_check.sh [OUT_DIR]   (default: runs/gpu-check)
# Each step has its own time limit so that one slow step cannot eat the others' time: at most 200 +
# 120 + 3 x 45 + 120 s, under the 10 minutes one device call may take; typically much less.  Outputs: OUT_DIR/{tests,bench,torch,train}.log,
# OUT_DIR/bench.jsonl, OUT_DIR/torch.jsonl and OUT_DIR/train/ (log.jsonl, fakes-*.png).
set -u
out="${1:-runs/gpu-check}"
mkdir -p "$out"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
py=${PYTHON:-python3}

step() { echo "== $1 ($(date +%T))"; }

step "device"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
$py -c "import cupy, numpy; print('cupy', cupy.__version__, 'numpy', numpy.__version__)"

step "GPU tests"
timeout 200 $py -m pytest -m gpu -q --maxfail=30 -p no:cacheprovider -o addopts="-rfE" tests > "$out/tests.log" 2>&1
echo "pytest exit $?"; tail -15 "$out/tests.log"

step "bench, CuPy"
timeout 120 $py -m stylegan_np.bench --backend cupy --res 32 64 --batch 32 128 --iters 10 --warmup 3 \
    > "$out/bench.jsonl" 2> "$out/bench.log"
echo "bench exit $?"; cat "$out/bench.jsonl"; tail -5 "$out/bench.log"

step "torch peer"
# The peer lives outside the package (shared/bench/torch_ref.py); TORCH_REF=path names it elsewhere.
ref=""
for candidate in ${TORCH_REF:-} shared/bench/torch_ref.py ../shared/bench/torch_ref.py; do
    [ -f "$candidate" ] && ref="$candidate" && break
done
if [ -n "$ref" ] && $py -c "import torch" 2>/dev/null; then
    : > "$out/torch.jsonl"
    for cfg in "32 32" "64 32" "32 128"; do
        set -- $cfg
        timeout 45 $py "$ref" --device cuda --res "$1" --batch "$2" --iters 10 --warmup 3 \
            >> "$out/torch.jsonl" 2>> "$out/torch.log"
    done
    cat "$out/torch.jsonl"
else
    echo "torch_ref.py or torch not found: no peer numbers"
fi

step "training, CuPy, 32x32"
timeout 120 $py -m stylegan_np.train --backend cupy --preset small --kimg 20 --out "$out/train" \
    > "$out/train.log" 2>&1
echo "train exit $?"; tail -8 "$out/train.log"
step "done"
