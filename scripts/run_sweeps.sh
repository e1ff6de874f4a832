#!/usr/bin/env bash
# The committed sweeps and their replications (experiments/RULE.md): on the full MNIST set,
# with `mnistcnn sweep`'s defaults (the `sweep` preset, repeats raced up to 6, repeat k on
# its own writer-disjoint 20% validation split with seed k). A job is NAME (the sweep's
# race, which resumes and extends the committed runs) or NAME:replicate (`mnistcnn sweep
# NAME --replicate`, 2 repeats at seeds 1000 and 1001 into experiments/replication/NAME).
# Two lanes, each pinned to one core, take jobs from one queue: as fast as one run at a time
# on both cores on the AMD EPYC here, 1.16 times on a Xeon with AMX (BENCHMARKS.md). Each
# finished job is committed, with its log beside the sweep as experiments/NAME[.replicate].log.
# Took 62 minutes here for the 82 runs issue 36 added; rerunning resumes where it stopped.
#   MNISTCNN_DATA=../shared/data/mnist bash scripts/run_sweeps.sh [JOB ...]
set -euo pipefail
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
sweeps=(pooling learning_rate loss activation kernel_size batch_size dropout filters optimizer)
jobs=("$@")
if [ ${#jobs[@]} -eq 0 ]; then
    # The longest first, so the two lanes end together.
    jobs=(optimizer:replicate loss:replicate activation:replicate batch_size:replicate optimizer loss
          kernel_size activation pooling dropout kernel_size:replicate dropout:replicate filters:replicate
          learning_rate:replicate pooling:replicate batch_size filters learning_rate)
fi
queue=$(mktemp); printf '%s\n' "${jobs[@]}" > "$queue"
echo "commit $(git rev-parse HEAD)"

next_job() {  # pops the queue's first line, one lane at a time
    flock "$queue.lock" sh -c "head -n 1 '$queue'; sed -i 1d '$queue'"
}

lane() {
    local core=$1 job name
    while job=$(next_job) && [ -n "$job" ]; do
        name=${job%%:*}
        if [ "$job" = "$name:replicate" ]; then
            taskset -c "$core" mnistcnn sweep "$name" --replicate >> "experiments/$name.replicate.log" 2>&1
            folder="experiments/replication/$name"
        else
            taskset -c "$core" mnistcnn sweep "$name" >> "experiments/$name.log" 2>&1
            folder="experiments/$name"
        fi
        flock "$queue.lock" git add "$folder" && flock "$queue.lock" git commit -q -m "sweeps: $job finished" -- "$folder" || true
        echo "$(date -u +%FT%TZ) lane $core: $job done"
    done
}

lane 0 & lane 1 & wait
rm -f "$queue" "$queue.lock"
