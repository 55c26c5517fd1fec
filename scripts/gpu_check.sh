#!/usr/bin/env bash
# Every GPU figure of the fused DRDB kernels from one call of at most 8 minutes.
#
# Run from the repository root:   OUT=DIR scripts/gpu_check.sh [--cpu-smoke] [STAGE ...]
#
# Stages run in this order, most valuable first, each under its own `timeout`, each
# appending to $OUT as soon as it has results, so a cut run keeps what came before:
#   compile      every kernel variant and sweep config compiled for sm_90a in parallel
#   env          card, driver, CUDA, cuDNN, torch, triton, clocks
#   correctness  fused vs eager cuDNN vs float64, bf16 and fp16 (a failure stops nothing)
#   drdb model   eager, eager channels-last, eager cudnn.benchmark, Triton at 1500x1000
#   layers       each layer: cuDNN vs its Triton kernel
#   sweep        the DRDB per tile config of ahdr_kernels.launch.SWEEP
#   inductor-drdb inductor-model   torch.compile max-autotune rows, one at a time
#   pytest       the kernel tests compiled on the GPU, fixed Hypothesis seed
#   drdb-4k model-4k   3840x2160
# Files (at most 8 come back from a lent machine): run.log, stages.tsv (stage, exit
# status, seconds), results.jsonl (every record, tagged with its stage), tables.md,
# pytest.log.
#
# --cpu-smoke runs every stage on the CPU under the Triton interpreter on tiny
# shapes (CI runs it: tests/kernels/test_gpu_check_script.py). Nothing needs
# installing on the GPU image: the model and the report import without OpenEXR.
set -uo pipefail

OUT="${OUT:-./out}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$OUT"
: >"$OUT/stages.tsv"

smoke=0
if [ "${1:-}" = --cpu-smoke ]; then
    smoke=1
    shift
fi

# name:seconds on the GPU (sum 480 s: the 8-minute call) and in the smoke run
# (each process JIT-compiles the kernels it launches: the sweep compiles 6 a config).
# GPU limits are at least 1.5x what the stages took on an H100 / H200 (runs of
# 2026-11-27: compile 7 s, correctness 20, drdb 10, model 11, layers 10, sweep 27,
# inductor-drdb 25, inductor-model 57, drdb-4k 17); model-4k overran 30 s.
LIMITS=(compile:20:40 env:10:20 correctness:40:60 drdb:25:40 model:30:60 layers:25:40
    sweep:50:30 inductor-drdb:45:90 inductor-model:90:90 pytest:30:60 drdb-4k:25:40
    model-4k:90:60)

site=/tmp/ahdr-site
mkdir -p "$site"
# The folder kernels/ imports as ahdr_kernels (pyproject's package-dir): a link
# gives the same name without installing the project.
ln -sfn "$PWD/kernels" "$site/ahdr_kernels"
export PYTHONPATH="$site:$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export TRITON_DEFAULT_FP_FUSION=1 TORCHINDUCTOR_CACHE_DIR="${TORCHINDUCTOR_CACHE_DIR:-/tmp/ahdr-inductor}"
report_flags=()
if [ "$smoke" = 1 ]; then
    # one thread: tiny shapes gain nothing from more, and CI's cores are shared
    export TRITON_INTERPRET=1 OMP_NUM_THREADS=1
    report_flags=(--smoke)
else
    export TRITON_INTERPRET=0
    if ! "$PYTHON" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())'; then
        echo "gpu_check: $PYTHON sees no CUDA GPU; run it on one, or with --cpu-smoke" >&2
        exit 2
    fi
fi

run_stage() {
    local name=$1 limit=$2
    case $name in
    compile)  # the offline compiler needs the real JIT, even in the smoke run
        TRITON_INTERPRET=0 timeout "$limit" "$PYTHON" scripts/gpu_report.py compile "$OUT" \
            "${report_flags[@]}"
        ;;
    pytest)
        local select=()
        # the interpreter is slow: the smoke run checks the stage, not the whole file
        [ "$smoke" = 1 ] && select=(-k "rounding or default_output or rejects")
        timeout "$limit" "$PYTHON" -m pytest -q -x -p no:cacheprovider --hypothesis-seed=0 \
            tests/kernels/test_drdb_kernels.py "${select[@]}" >"$OUT/pytest.log" 2>&1
        local status=$?
        tail -n 3 "$OUT/pytest.log"
        return $status
        ;;
    *)
        timeout "$limit" "$PYTHON" scripts/gpu_report.py "$name" "$OUT" "${report_flags[@]}"
        ;;
    esac
}

start_all=$SECONDS
for entry in "${LIMITS[@]}"; do
    IFS=: read -r name gpu_limit smoke_limit <<<"$entry"
    if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then
        continue
    fi
    limit=$gpu_limit
    [ "$smoke" = 1 ] && limit=$smoke_limit
    echo "== $name (limit ${limit}s)"
    start=$SECONDS
    run_stage "$name" "$limit"
    code=$?
    [ "$code" = 124 ] && echo "$name: timed out after ${limit}s"
    printf '%s\t%s\t%s\n' "$name" "$code" "$((SECONDS - start))" >>"$OUT/stages.tsv"
done 2>&1 | tee -a "$OUT/run.log"
# the loop ran in a pipe's subshell: the stage table carries the statuses out
status=0
[ -n "$(awk -F'\t' '$2 != 0' "$OUT/stages.tsv")" ] && status=1
echo "gpu_check: exit status $status after $((SECONDS - start_all)) s; results in $OUT" \
    | tee -a "$OUT/run.log"
exit "$status"
