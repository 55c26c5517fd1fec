#!/usr/bin/env bash
# Continue AHDRNet training in one call of at most 9 minutes on a lent GPU, and bring
# the weights back through $OUT.
#
# Why this shape: a lent H100 has torch and triton but no OpenEXR and no network, only
# the repository's tracked files plus carried ignored paths (64 MiB in all), and what
# it writes under $OUT comes back, also when the call is cut off. So the script
#   - installs the wheels in .whl/ (OpenEXR) into a private folder, as gpu_check.sh
#     does, only when the python lacks OpenEXR, and runs the checkout via PYTHONPATH
#     (kernels/ linked in as ahdr_kernels; the HDR plugin named in AHDR_PLUGINS, as an
#     uninstalled checkout has no entry point for it);
#   - copies the committed checkpoint folder into $OUT and trains there with --resume
#     (or, with --init, starts a fine-tune of those weights there):
#     the project's checkpoints are written atomically, so $OUT always holds the last
#     complete checkpoint (checkpoint.pt + checkpoint-STEP.safetensors), training.json
#     and curves.png, plus ahdrnet.safetensors once all --steps are done;
#   - gives `ahdr train` a --time-limit of what is left of --budget minus --margin
#     (start-up before the training loop, final checkpoint), and a hard stop at
#     the budget, so the call ends by itself with a checkpoint.
#
# Prepare here (once), then carry .whl:
#   .venv/bin/python scripts/pack_training_data.py ../shared/data/hdri   # -> .whl/hdri
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#     --implementation cp --platform manylinux_2_28_x86_64 \
#     --platform manylinux_2_17_x86_64 -d .whl OpenEXR==3.5.3
# On the GPU (run tool: carry [".whl"], timeout_s 600):
#   scripts/gpu_train.sh                       # resumes checkpoints/cpu-wide
#   scripts/gpu_train.sh checkpoints/cpu-wide --steps 20000 --budget 540
#   scripts/gpu_train.sh --init builtin --steps 4000   # fine-tune the shipped weights instead
# Bring the result home and continue it next time:
#   mkdir -p checkpoints/gpu-1 && cp FILES_AT/{checkpoint*,training.json,curves.png} \
#     checkpoints/gpu-1/ && scripts/gpu_train.sh checkpoints/gpu-1   # (next call)
# CI / CPU check of the same path (tiny budget, bundled data if .whl/hdri is absent):
#   scripts/gpu_train.sh --cpu-smoke          # $OUT defaults to a new temp folder
#
# Options: [CHECKPOINT_DIR] --init WEIGHTS (builtin or a .safetensors file: start a new
# fine-tune from them, lr 3e-5, instead of resuming a checkpoint folder) --data DIR
# (.whl/hdri) --steps N (20000, total for the lr schedule) --budget S (540: seconds for the whole script) --margin S (75: seconds kept
# for start-up and the final checkpoint) --workers N (14) --cpu-smoke (budget 120,
# margin 30); anything after `--` is passed on to `ahdr train` (the last of a
# repeated option wins). Environment: OUT (./out), PYTHON (python3).
# Results in $OUT: the run files above and train.log. Exit status: that of ahdr train
# (124 if the hard stop ended it), 2 for a machine or input that cannot run.
set -uo pipefail

start=$SECONDS
smoke=0
checkpoint=""
init=""
data=""
steps=20000
budget=""
margin=""
workers=14
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --cpu-smoke) smoke=1 ;;
        --data) data="$2"; shift ;;
        --init) init="$2"; shift ;;
        --steps) steps="$2"; shift ;;
        --budget) budget="$2"; shift ;;
        --margin) margin="$2"; shift ;;
        --workers) workers="$2"; shift ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "gpu_train: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) checkpoint="$1" ;;
    esac
    shift
done

PYTHON="${PYTHON:-python3}"
export PYTHONUNBUFFERED=1 TQDM_MININTERVAL="${TQDM_MININTERVAL:-10}"
if [ "$smoke" = 1 ]; then
    OUT="${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/gpu-train-smoke.XXXXXX")}"
else
    OUT="${OUT:-./out}"
    export TRITON_INTERPRET=0
fi
mkdir -p "$OUT" || exit 2
log="$OUT/train.log"
say() { echo "gpu_train: $*" | tee -a "$log"; }

if [ -n "$init" ] && [ -n "$checkpoint" ]; then
    say "give a checkpoint folder to resume or --init weights to fine-tune, not both"; exit 2
fi
checkpoint="${checkpoint:-checkpoints/cpu-wide}"
if [ -z "$init" ] && [ ! -f "$checkpoint/checkpoint.pt" ]; then
    say "$checkpoint holds no checkpoint.pt to resume from"; exit 2
fi
if [ -e "$OUT/checkpoint.pt" ]; then
    say "$OUT already holds a run; give an empty OUT"; exit 2
fi
if [ -z "$data" ]; then
    if [ -d .whl/hdri ]; then
        data=.whl/hdri
    elif [ "$smoke" = 1 ]; then
        data=bundled
    else
        say "no .whl/hdri: run scripts/pack_training_data.py here and carry .whl"; exit 2
    fi
fi

# Private site folder for carried wheels (gpu_check.sh's approach); the checkout itself
# runs from PYTHONPATH, and kernels/ is linked in under its import name ahdr_kernels.
site=/tmp/ahdr-site
mkdir -p "$site" || exit 2
ln -sfn "$PWD/kernels" "$site/ahdr_kernels"
if ! "$PYTHON" -c 'import OpenEXR' 2>/dev/null; then
    if ! compgen -G ".whl/*.whl" >/dev/null; then
        say "$PYTHON lacks OpenEXR and .whl/ holds no wheel (see --help)"; exit 2
    fi
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
        --upgrade --target "$site" .whl/*.whl || exit 2
fi
export PYTHONPATH="$site:$PWD${PYTHONPATH:+:$PYTHONPATH}"
# Run from the checkout, the HDR plugin has no installed entry point: name it instead.
if ! "$PYTHON" -c 'import importlib.metadata as m, sys
sys.exit(not m.entry_points(group="ahdr_nodes", name="hdr"))' 2>/dev/null; then
    export AHDR_PLUGINS=ahdr_nodes.hdr.plugin
fi

if [ "$smoke" = 0 ] &&
    ! "$PYTHON" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())'; then
    say "$PYTHON sees no CUDA GPU; use --cpu-smoke on a machine without one"; exit 2
fi
{
    if [ "$smoke" = 0 ]; then
        nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1
    fi
    "$PYTHON" -c 'import sys, torch; print("python", sys.version.split()[0], "torch",
        torch.__version__, "cuda", torch.cuda.is_available() and torch.cuda.get_device_name())'
} 2>&1 | tee -a "$log"

if [ "$smoke" = 1 ]; then
    device=cpu
    budget_args=(--crop 32 --batch 2 --workers 0 --amp none --val-examples 2 --val-crop 32
        --checkpoint-every 1000)
    budget="${budget:-120}"
    margin="${margin:-30}"
else
    device=cuda
    budget_args=(--crop 256 --batch 8 --workers "$workers" --amp bf16 --val-examples 16
        --val-crop 256 --val-every 500 --checkpoint-every 500)
    budget="${budget:-540}"
    margin="${margin:-75}"
fi

if [ -n "$init" ]; then
    done_step=0
    begin=(--init "$init" --lr 3e-5)
    what="fine-tuning $init"
else
    # only the resumable state: a stale ahdrnet.safetensors of a finished earlier run must
    # not come back looking like this run's result
    cp "$checkpoint"/checkpoint.pt "$checkpoint"/checkpoint-*.safetensors \
        "$checkpoint"/training.json "$OUT"/ || exit 2
    cp "$checkpoint"/curves.png "$OUT"/ 2>/dev/null
    done_step=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["step"])' \
        "$OUT/training.json") || exit 2
    begin=(--resume --lr 1e-4)
    what="resuming $checkpoint at step $done_step"
fi
if [ "$smoke" = 1 ]; then
    steps=$((done_step + 3))
    budget_args+=(--val-every 3)
elif [ "$done_step" -ge "$steps" ]; then
    say "$checkpoint is at step $done_step, not below --steps $steps"; exit 2
fi

left=$((budget - (SECONDS - start)))
limit=$((left - margin))
if [ "$limit" -lt 10 ]; then
    say "only ${left}s of the ${budget}s budget left; not enough to train"; exit 2
fi
say "$what on $device: --data $data --steps $steps," \
    "time limit ${limit}s, hard stop in ${left}s; results in $OUT"

# --kill-after: a run that ignores TERM must still not outlive the budget
timeout --kill-after=5 "$((left - 5))" "$PYTHON" -m ahdr_nodes train --data "$data" \
    --out "$OUT" "${begin[@]}" --steps "$steps" --seed 0 --device "$device" \
    "${budget_args[@]}" --time-limit "$limit" "${extra[@]}" 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}

"$PYTHON" - "$OUT/training.json" <<'EOF' 2>&1 | tee -a "$log"
import json, sys
run = json.load(open(sys.argv[1]))
print(f"gpu_train: step {run['step']}, {run['examples_seen']} examples, "
      f"{run['training_seconds']} s of training in all, device {run['device']}; "
      f"validation PSNR-mu {run['validation_psnr_mu'][-3:]}")
EOF
ls -l "$OUT" | tee -a "$log"
say "exit status $status after $((SECONDS - start))s"
exit "$status"
