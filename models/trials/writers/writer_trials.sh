#!/usr/bin/env bash
# The runs of models/trials/writers/RULE.md, one after another (each skipped if its story
# exists, so a rerun after an interruption trains only what is missing).
# Took 325 minutes of training here: 144 for deep's three members, 181 for strided's (their stories).
# Usage: MNISTCNN_DATA=../shared/data/mnist bash models/trials/writers/writer_trials.sh
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;; esac
cd "$(dirname "$0")/../../.."
folder=models/trials/writers
strided="--architecture strided --dropout 0.4 --batch-size 64 --learning-rate 0.001 --epochs 45 --patience 45 --precision float32"
for recipe in deep strided; do
    for seed in 11 12 13; do
        output=$folder/$recipe-seed-$seed.h5
        [ -f "${output%.h5}.json" ] && continue
        options=""
        [ "$recipe" = strided ] && options=$strided
        # shellcheck disable=SC2086
        mnistcnn train-final --preset best $options --valid-split writers --valid-fraction 0.2 \
            --seed "$seed" --output "$output" > "${output%.h5}.log" 2>&1
    done
done
