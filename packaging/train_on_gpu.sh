#!/usr/bin/env bash
# Train on one GPU machine lent for a fixed time, with no network and a small upload: the separator
# and the DISPatch teacher, each warm-started from its shipped card, side by side, each with its
# own data workers, both stopping on time with their LR schedules decayed (`--minutes`).
#
#   python -m models.data.pack pack --to .devpack/corpus           # here, once
#   bash packaging/gpu_wheels.sh fetch                             # here, once
#   . packaging/gpu_wheels.sh install && packaging/train_on_gpu.sh .devpack/corpus RESULTS MINUTES  # there
#
# Both .devpack and .whl travel as carried paths; the repository's resources/ablations and
# resources/sweeps (about 15 MB the runs do not read) may have to stay behind for the upload to fit.
# RESULTS receives separator.tar and teacher.tar (run folders without the teacher's 40 MB resume
# state, plus each run's log): unpack them into runs/ to ship with `models.train.ship`, or to
# continue the separator's run on a CPU. SCENES, SEP_WORKERS and TEACHER_WORKERS size a dry run;
# GRACE (s, default 110) is how long past MINUTES the runs may take to start and finish.
# SEP_SPATIAL (default 0) grows that many per-mic spatial blocks on the shipped separator.
# TEACHER=0 trains the separator alone, with the teacher's data workers too (where `pesq`, which
# the teacher validates with, cannot be installed there).
set -u
pack=$1 results=$2 minutes=$3
scenes=${SCENES:-250} sep_workers=${SEP_WORKERS:-10} teacher_workers=${TEACHER_WORKERS:-4}
sep_spatial=${SEP_SPATIAL:-0} teacher=${TEACHER:-1}
[ "$teacher" = 1 ] || sep_workers=$((sep_workers + teacher_workers))
export MECO_CACHE=${MECO_CACHE:-/tmp/meco-cache} PYTHONUNBUFFERED=1
runs=$(mktemp -d)
mkdir -p "$results"
python=${PYTHON:-python3}
started=$(date +%s)

$python -m models.data.pack unpack "$pack" --workers "$(nproc)" || exit 1
echo "corpus unpacked in $(( $(date +%s) - started )) s"

# Two steps of each recipe on this machine's device first: a failure costs seconds, not the lease.
smoke="--steps 2 --batch-size 2 --segment-seconds 1.0 --workers 0 --valid-items 2 --valid-every 2 --log-every 2"
smoke="$smoke --rir-scenes 0 --no-bf16"
$python -m models.train.separator --out "$runs/smoke-separator" $smoke \
    --init resources/models/separator/tacband-separator.json --spatial-blocks "$sep_spatial" > "$runs/smoke.log" 2>&1 &&
    { [ "$teacher" != 1 ] ||
      $python -m models.train.enhancer --role teacher --out "$runs/smoke-teacher" $smoke >> "$runs/smoke.log" 2>&1; } ||
    { tail -n 40 "$runs/smoke.log"; exit 1; }
grep -h "training .* from step" "$runs/smoke.log"
echo "smoke runs passed at $(( $(date +%s) - started )) s"

# Each run stops itself after $minutes of training; the timeout only guards the lease.
limit=$(python3 -c "print(int(60 * $minutes + ${GRACE:-110}))")
timeout "$limit" $python -m models.train.separator --out "$runs/separator" \
    --init resources/models/separator/tacband-separator.json --spatial-blocks "$sep_spatial" \
    --steps 100000 --minutes "$minutes" --batch-size 16 --lr 5e-4 --ema-decay 0.998 --valid-every 500 \
    --workers "$sep_workers" --threads 2 --rir-scenes "$scenes" --no-bf16 > "$runs/separator.log" 2>&1 &
sep=$!
[ "$teacher" = 1 ] &&
    timeout "$limit" $python -m models.train.enhancer --role teacher --out "$runs/enh-teacher" --steps 100000 \
    --init resources/models/enhancer/enh-teacher.json --minutes "$minutes" --batch-size 16 --lr 5e-4 \
    --warmup 100 --ema-decay 0.998 --valid-every 500 \
    --valid-items 32 --workers "$teacher_workers" --threads 2 --rir-scenes "$scenes" --no-bf16 \
    > "$runs/enh-teacher.log" 2>&1 &
teacher_pid=$!
wait $sep; echo "separator exit $?"
[ "$teacher" = 1 ] && { wait $teacher_pid; echo "teacher exit $?"; }

tail -n 3 "$runs"/separator.log "$runs"/enh-teacher.log 2>/dev/null
mv "$runs/separator.log" "$runs/separator/" 2>/dev/null
mv "$runs/enh-teacher.log" "$runs/enh-teacher/" 2>/dev/null
rm -f "$runs/enh-teacher/resume.safetensors"
tar -C "$runs" -cf "$results/separator.tar" separator
[ "$teacher" = 1 ] && tar -C "$runs" -cf "$results/teacher.tar" enh-teacher
echo "done in $(( $(date +%s) - started )) s"
