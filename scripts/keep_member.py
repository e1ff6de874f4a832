"""Save one member of a trained ensemble as a model of its own, with its own story.

    python scripts/keep_member.py models/mnistcnn-ensemble.h5 1 models/mnistcnn.h5

Member 1 has the ensemble's own seed, so the validation split in its story is the one
it was trained beside, and `mnistcnn evaluate` holds the same images out. Its story
is the member's run (seed, epochs, history, metrics as `train-final` measured them)
with the ensemble's provenance (data, machine, versions, the command that trained it).
Not timed here; short: it loads the ensemble and saves one member; it trains nothing.
"""

import argparse
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from mnistcnn.models import members  # noqa: E402
from mnistcnn.core import load_model, read_record, save_model  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ensemble", type=Path)
    parser.add_argument("member", type=int, help="1 for the member trained with the ensemble's own seed")
    parser.add_argument("output", type=Path)
    arguments = parser.parse_args()

    ensemble = read_record(arguments.ensemble)
    networks = members(load_model(arguments.ensemble))
    if not ensemble or not networks:
        sys.exit(f"{arguments.ensemble} is not an ensemble saved by `mnistcnn train-final --ensemble N`")
    if not 1 <= arguments.member <= len(networks):
        sys.exit(f"member must be between 1 and {len(networks)}")
    member = ensemble.members[arguments.member - 1]
    if member.seed != ensemble.config["seed"]:
        # Its story could not name both the seed it was trained with and the split it was measured on.
        sys.exit("only member 1 trained with the ensemble's own seed, and so with the split its story names")
    network = networks[arguments.member - 1]
    made = {key: ensemble.provenance[key] for key in ("strategy", "replicas", "device", "versions", "command", "date")}
    kept = replace(member, seed=None, provenance={  # its seed is config.seed
        **made, "parameters": int(network.count_params()),
        "member_of": f"{arguments.ensemble.name}, member {arguments.member} of {len(networks)}",
        "kept_by": " ".join(["python", "scripts/keep_member.py", *sys.argv[1:]])})
    written = save_model(network, arguments.output, kept.to_json())
    print(f"saved {arguments.output}: test accuracy {written['metrics']['test']['accuracy']:.4f}")


if __name__ == "__main__":
    main()
