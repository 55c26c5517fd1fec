#!/usr/bin/env bash
# One prepared GPU check of the fused DRDB kernels, for a session that has a CUDA card.
#
# Run from the repository root:   scripts/gpu_check.sh [STAGE ...]
# Results go to $OUT (or ./out): environment.json, pytest.log, correctness.json,
# bench.jsonl, tables.md, run.log. Every stage writes as soon as it ends, so a
# time limit that cuts the run short keeps what was measured before it.
#
# Stages (default all, in this order; see kernels/gpu_report.py):
#   pytest       the CPU kernel tests, compiled on the GPU (TRITON_INTERPRET=0)
#   correctness  fused vs eager cuDNN vs a float64 reference, bf16 and fp16, 3 tile configs
#   drdb sweep model drdb-4k model-4k   benchmarks at 1500x1000 and 3840x2160, bf16
#
# Missing wheels: the model benchmark imports ahdr_nodes, which needs OpenEXR (the
# GPU image lacks it; it has torch, triton, pytest, hypothesis and the rest). With
# no network there, download the wheel here first and carry the folder .whl:
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#     --implementation cp --platform manylinux_2_28_x86_64 \
#     --platform manylinux_2_17_x86_64 -d .whl OpenEXR==3.5.3
# This script installs every wheel in .whl into a private folder before it runs.
set -uo pipefail

OUT="${OUT:-./out}"
mkdir -p "$OUT"
PYTHON="${PYTHON:-python3}"
export PYTHONUNBUFFERED=1 TRITON_INTERPRET=0
export TORCHINDUCTOR_CACHE_DIR="${TORCHINDUCTOR_CACHE_DIR:-/tmp/ahdr-inductor}"

site=/tmp/ahdr-site
mkdir -p "$site"
if compgen -G ".whl/*.whl" >/dev/null; then
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
        --upgrade --target "$site" .whl/*.whl || exit 1
fi
# The folder kernels/ imports as ahdr_kernels (pyproject's package-dir): a link
# gives the same name without installing the project.
ln -sfn "$PWD/kernels" "$site/ahdr_kernels"
export PYTHONPATH="$site:$PWD${PYTHONPATH:+:$PYTHONPATH}"

if ! "$PYTHON" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())'; then
    echo "gpu_check: $PYTHON sees no CUDA GPU; run this on a machine with one" >&2
    exit 2
fi

stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(pytest correctness drdb sweep model drdb-4k model-4k)

{
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
    "$PYTHON" -c 'import torch, triton; print("torch", torch.__version__, "cuda",
        torch.version.cuda, "triton", triton.__version__, torch.cuda.get_device_name())'
} 2>&1 | tee "$OUT/run.log"

status=0
report_stages=()
for stage in "${stages[@]}"; do
    if [ "$stage" = pytest ]; then
        "$PYTHON" -m pytest -q -p no:cacheprovider tests/kernels/test_drdb_kernels.py \
            2>&1 | tee "$OUT/pytest.log" | tail -n 5 | tee -a "$OUT/run.log" || status=1
    else
        report_stages+=("$stage")
    fi
done
if [ ${#report_stages[@]} -gt 0 ]; then
    "$PYTHON" -m ahdr_kernels.gpu_report "$OUT" "${report_stages[@]}" 2>&1 \
        | tee -a "$OUT/run.log" || status=1
fi
echo "gpu_check: exit status $status; results in $OUT" | tee -a "$OUT/run.log"
exit "$status"
