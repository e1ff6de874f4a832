#!/usr/bin/env bash
# The committed sweeps (issue 25, experiments/RULE.md): all nine on the full MNIST set with
# `mnistcnn sweep`'s defaults: the `sweep` preset, repeats raced to at most 5, repeat k on
# its own writer-disjoint 20% validation split with seed k. The defaults' run is trained
# once per repeat and copied into every later sweep. Rerunning resumes where it stopped;
# each sweep's log goes beside it as experiments/NAME.log.
#   MNISTCNN_DATA=../shared/data/mnist bash scripts/run_sweeps.sh [NAME ...]
set -euo pipefail
sweeps=("$@")
[ ${#sweeps[@]} -gt 0 ] || sweeps=(pooling learning_rate loss activation kernel_size batch_size dropout filters optimizer)
echo "commit $(git rev-parse HEAD)"
for sweep in "${sweeps[@]}"; do
    mnistcnn sweep "$sweep" >> "experiments/$sweep.log" 2>&1
    echo "$(date -u +%FT%TZ) $sweep done"
done
