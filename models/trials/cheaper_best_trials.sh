#!/usr/bin/env bash
# The runs of issue 28's cheaper-`best` candidates (models/trials/CANDIDATE/RULE.md), one
# after another: seeds 11-13 on the writer-disjoint 20% splits `strided` was judged on.
# Each is skipped if its story exists, so a rerun after an interruption trains only what
# is missing; the member in training resumes after its last finished epoch.
# Took 66 minutes of training here for quarter's three members, 34 for half's (their stories).
# Usage: MNISTCNN_DATA=../shared/data/mnist bash models/trials/cheaper_best_trials.sh quarter|half
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;; esac
cd "$(dirname "$0")/../.."
candidate=${1:?name a candidate: quarter or half}
# Each candidate's changes to `--preset best`, as its RULE.md fixed them.
case $candidate in
    quarter) changes="--batch-size 128 --learning-rate 0.002 --epochs 12 --patience 12" ;;
    half) changes="--filters 16 --epochs 16 --patience 16" ;;
    *) echo "unknown candidate '$candidate'; use quarter or half" >&2; exit 2 ;;
esac
folder=models/trials/$candidate
for seed in 11 12 13; do
    output=$folder/$candidate-seed-$seed.h5
    [ -f "${output%.h5}.json" ] && continue
    # shellcheck disable=SC2086  # the changes are separate options
    mnistcnn train-final --preset best $changes --precision float32 --valid-split writers \
        --valid-fraction 0.2 --seed "$seed" --output "$output" > "${output%.h5}.log" 2>&1
done
