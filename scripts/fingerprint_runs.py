"""Give the committed sweep runs the data fingerprint a run's identity now holds (issue 36).

Runs made before it recorded their data by the source's name and sizes only. For every
sweep folder under experiments/ (replications included), this reads the data the runs
were made from (the full MNIST set: MNISTCNN_DATA), checks that each run's recorded
validation split is the one its seed draws from that data, then writes the data's
fingerprint into the run's metrics.json and the data's fingerprint and every seed's split
into the sweep's sweep.json. A run whose split does not match stops the script, naming it.
Idempotent; a few seconds here.
    MNISTCNN_DATA=../shared/data/mnist python scripts/fingerprint_runs.py [SWEEP_FOLDER ...]
"""

import argparse
import json
import sys
from pathlib import Path

from mnistcnn.data import read_source, split_source
from mnistcnn.core import atomic_write_text
from mnistcnn.sweeps.runs import split_fingerprint


def fingerprint_sweep(sweep_dir: Path, source, splits: dict) -> int:
    info = json.loads((sweep_dir / "sweep.json").read_text())
    fraction, kind = info["base_config"]["valid_fraction"], info["base_config"]["valid_split"]
    seeds = {}
    for metrics_path in sorted(sweep_dir.glob("*/seed-*/metrics.json")):
        record = json.loads(metrics_path.read_text())
        seed = record["config"]["seed"]
        if (seed, fraction, kind) not in splits:
            splits[seed, fraction, kind] = split_fingerprint(split_source(source, fraction, seed, kind).valid_index)
        if record["split"] != splits[seed, fraction, kind]:
            sys.exit(f"{metrics_path.parent}: its validation split is not the one seed {seed} draws from "
                     f"{source.location}; it was made from other data")
        seeds[str(seed)] = record["split"]
        updated = {}
        for key, value in record.items():
            if key != "data_fingerprint":
                updated[key] = value
            if key == "run_format":
                updated["data_fingerprint"] = source.fingerprint
        atomic_write_text(metrics_path, json.dumps(updated, indent=2) + "\n")
    ordered = {}
    for key, value in info.items():
        if key in ("data_fingerprint", "splits"):
            continue
        if key == "command":
            ordered["data_fingerprint"] = source.fingerprint
            ordered["splits"] = dict(sorted({**info.get("splits", {}), **seeds}.items(), key=lambda item: int(item[0])))
        ordered[key] = value
    atomic_write_text(sweep_dir / "sweep.json", json.dumps(ordered, indent=2) + "\n")
    return len(seeds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Writes the fingerprints into the runs' metrics.json and sweep.json.")
    parser.add_argument("folders", nargs="*", type=Path, help="sweep folders (default: every one under experiments/)")
    folders = parser.parse_args().folders or sorted(path.parent for path in Path("experiments").glob("**/sweep.json"))
    source, splits = read_source(), {}
    for folder in folders:
        print(f"{folder}: {fingerprint_sweep(folder, source, splits)} seeds", file=sys.stderr)


if __name__ == "__main__":
    main()
