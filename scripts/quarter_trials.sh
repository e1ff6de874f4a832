#!/usr/bin/env bash
# The runs of models/trials/quarter/RULE.md, one after another (each skipped if its story
# exists, so a rerun after an interruption trains only what is missing; the member in
# training resumes after its last finished epoch).
# Usage: MNISTCNN_DATA=../shared/data/mnist bash scripts/quarter_trials.sh
set -euo pipefail
cd "$(dirname "$0")/.."
folder=models/trials/quarter
for seed in 11 12 13; do
    output=$folder/quarter-seed-$seed.h5
    [ -f "${output%.h5}.json" ] && continue
    mnistcnn train-final --preset best --batch-size 128 --learning-rate 0.002 --epochs 12 \
        --patience 12 --precision float32 --valid-split writers --valid-fraction 0.2 \
        --seed "$seed" --output "$output" > "${output%.h5}.log" 2>&1
done
