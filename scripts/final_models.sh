#!/usr/bin/env bash
# The final models of models/trials/writers/RULE.md ("Then"), once RESULT.md holds the
# decision and `--preset best` is the winner's recipe: three members on all 60,000
# training images as one ensemble (seeds 0, 1, 2), member 1 kept as the single model,
# its report written (the test set's one reading), models/RESULTS.md's tables
# regenerated, and both models' ONNX twins exported (predict, serve and evaluate run
# them). Rerun after an interruption: finished members are reused and the member in
# training resumes after its last finished epoch.
# About 3.5 hours here (the ensemble's three members trained 197 minutes; models/RESULTS.md).
# Usage: MNISTCNN_DATA=../shared/data/mnist bash scripts/final_models.sh
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;; esac
cd "$(dirname "$0")/.."
if ! grep -q "^Decision: " models/trials/writers/RESULT.md; then
    echo "models/trials/writers/RESULT.md has no decision yet; finish bash models/trials/writers/writer_trials.sh first" >&2
    exit 1
fi
# float32, as every trial member trained (RULE.md, second addendum).
mnistcnn train-final --preset best --precision float32 --valid-fraction 0 --ensemble 3 \
    --output models/mnistcnn-ensemble.h5
python scripts/keep_member.py models/mnistcnn-ensemble.h5 1 models/mnistcnn.h5
mnistcnn evaluate --model-file models/mnistcnn.h5
python scripts/model_results.py
for model in mnistcnn mnistcnn-ensemble; do
    mnistcnn export "models/$model.h5" --format onnx
done
