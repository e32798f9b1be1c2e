#!/usr/bin/env bash
# Train on one GPU machine lent for a fixed time, with no network and a small upload: the separator
# and the DISPatch teacher, each warm-started from its shipped card, side by side, each with its
# own data workers, both stopping on time with their LR schedules decayed (`--minutes`), and
# optionally the five DISPatch students after them (STUDENTS below).
#
#   python -m models.data.pack pack --to .devpack/corpus           # here, once
#   bash packaging/gpu_wheels.sh fetch                             # here, once
#   . packaging/gpu_wheels.sh install && packaging/train_on_gpu.sh .devpack/corpus RESULTS MINUTES  # there
#   . packaging/gpu_wheels.sh install && SEPARATOR=0 STUDENTS=3000 packaging/train_on_gpu.sh .devpack/corpus RESULTS 3.5
#
# Both .devpack and .whl travel as carried paths; the repository's resources/ablations and
# resources/sweeps (about 15 MB the runs do not read) may have to stay behind for the upload to fit.
# RESULTS receives separator.tar and teacher.tar (run folders without the teacher's 40 MB resume
# state, plus each run's log): unpack them into runs/ to ship with `models.train.ship`, or to
# continue the separator's run on a CPU. SCENES, SEP_WORKERS and TEACHER_WORKERS size a dry run;
# GRACE (s, default 110) is how long past MINUTES the runs may take to start and finish.
# SEP_SPATIAL (default 0) grows that many per-mic spatial blocks on the shipped separator.
# TEACHER=0 trains the separator alone, with the teacher's data workers too (where `pesq`, which
# the teacher validates with, cannot be installed there); SEPARATOR=0 the teacher alone, likewise.
# STUDENTS=N (default 0: none) then distils issue #7's five students from the teacher's run on the
# device, N steps each, side by side: the teacher is stored as it ships (float16, so the students'
# cache records the shipped teacher's hash), its outputs are cached over 8000 crops by one process
# per shard range, and RESULTS receives students.tar (run folders, without resume state, and the
# teacher's card). Each student has 300 s and is validated every N/4 steps: a run that does not
# finish its N steps in time keeps its best validated checkpoint, and its log says how far it got.
# DISTILL_ITEMS (default 8000) sizes a dry run.
set -u
pack=$1 results=$2 minutes=$3
scenes=${SCENES:-250} sep_workers=${SEP_WORKERS:-10} teacher_workers=${TEACHER_WORKERS:-4}
sep_spatial=${SEP_SPATIAL:-0} teacher=${TEACHER:-1} separator=${SEPARATOR:-1} students=${STUDENTS:-0}
distill_items=${DISTILL_ITEMS:-8000}
[ "$teacher" = 1 ] || sep_workers=$((sep_workers + teacher_workers))
[ "$separator" = 1 ] || teacher_workers=$((sep_workers + teacher_workers))
[ "$teacher" = 1 ] || [ "$separator" = 1 ] || { echo "SEPARATOR=0 and TEACHER=0 leave nothing to train"; exit 2; }
[ "$students" = 0 ] || [ "$teacher" = 1 ] || { echo "STUDENTS needs the teacher's run (TEACHER=1)"; exit 2; }
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
: > "$runs/smoke.log"
{ [ "$separator" != 1 ] ||
  $python -m models.train.separator --out "$runs/smoke-separator" $smoke \
    --init resources/models/separator/tacband-separator.json --spatial-blocks "$sep_spatial" >> "$runs/smoke.log" 2>&1; } &&
    { [ "$teacher" != 1 ] ||
      $python -m models.train.enhancer --role teacher --out "$runs/smoke-teacher" $smoke >> "$runs/smoke.log" 2>&1; } &&
    { [ "$students" = 0 ] ||
      { $python -m models.train.distill cache --teacher "$runs/smoke-teacher/best.json" --out "$runs/smoke-cache" \
            --items 4 --seconds 1.0 --rir-scenes 0 &&
        $python -m models.train.distill train --cache "$runs/smoke-cache" --variant dfkd-dispatch-mssp \
            --out "$runs/smoke-student" $smoke; } >> "$runs/smoke.log" 2>&1; } ||
    { tail -n 40 "$runs/smoke.log"; exit 1; }
grep -h "training .* from step" "$runs/smoke.log"
echo "smoke runs passed at $(( $(date +%s) - started )) s"

# Each run stops itself after $minutes of training; the timeout only guards the lease.
limit=$(python3 -c "print(int(60 * $minutes + ${GRACE:-110}))")
[ "$separator" = 1 ] &&
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
[ "$separator" = 1 ] && { wait $sep; echo "separator exit $?"; }
[ "$teacher" = 1 ] && { wait $teacher_pid; echo "teacher exit $?"; }
echo "training done at $(( $(date +%s) - started )) s"

if [ "$students" != 0 ] && [ -f "$runs/enh-teacher/best.json" ]; then
    $python -m models.train.ship --run "$runs/enh-teacher" --to "$runs/teacher-card" --name enh-teacher --half \
        --reproduce "packaging/train_on_gpu.sh (see the run's log)" > /dev/null || exit 1
    cache="$runs/distill" parts=8 shard_count=$(( (distill_items + 255) / 256 ))    # shards of 256 crops
    for p in $(seq 0 $((parts - 1))); do
        $python -m models.train.distill cache --teacher "$runs/teacher-card/enh-teacher.json" --out "$cache" \
            --items "$distill_items" --rir-scenes "$scenes" \
            --shards $((p * shard_count / parts)) $(((p + 1) * shard_count / parts)) \
            > "$runs/cache-$p.log" 2>&1 &
    done
    wait
    echo "teacher cache built at $(( $(date +%s) - started )) s"
    for v in no-kd output-kd dispatch-l2 dfkd dfkd-dispatch-mssp; do
        timeout 300 $python -m models.train.distill train --cache "$cache" --variant "$v" --out "$runs/students/st-$v" \
            --steps "$students" --warmup 100 --ema-decay 0.998 --workers 1 --threads 2 \
            --valid-every $(( students / 4 > 0 ? students / 4 : 1 )) \
            --valid-items 32 --no-bf16 > "$runs/st-$v.log" 2>&1 &
    done
    wait
    for v in no-kd output-kd dispatch-l2 dfkd dfkd-dispatch-mssp; do
        tail -n 1 "$runs/st-$v.log"; mv "$runs/st-$v.log" "$runs/students/st-$v/" 2>/dev/null
    done
    rm -f "$runs"/students/*/resume.safetensors
    tar -C "$runs" -cf "$results/students.tar" students teacher-card
    echo "students done at $(( $(date +%s) - started )) s"
fi

tail -n 3 "$runs"/separator.log "$runs"/enh-teacher.log 2>/dev/null
mv "$runs/separator.log" "$runs/separator/" 2>/dev/null
mv "$runs/enh-teacher.log" "$runs/enh-teacher/" 2>/dev/null
rm -f "$runs/enh-teacher/resume.safetensors"
[ "$separator" = 1 ] && tar -C "$runs" -cf "$results/separator.tar" separator
[ "$teacher" = 1 ] && tar -C "$runs" -cf "$results/teacher.tar" enh-teacher
echo "done in $(( $(date +%s) - started )) s"
