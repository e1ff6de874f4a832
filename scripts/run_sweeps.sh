#!/usr/bin/env bash
# The committed sweep results: the five required sweeps on the full MNIST set,
# two seeds per value, default epochs (8), on the random validation split they were
# made with (before writer splits existed). Rerunning resumes where it stopped.
#   MNISTCNN_DATA=../shared/data/mnist bash scripts/run_sweeps.sh
set -euo pipefail
for sweep in pooling learning_rate loss activation kernel_size; do
    mnistcnn sweep "$sweep" --repeats 2 --valid-split random
done
