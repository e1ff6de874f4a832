"""The long fuzzing run of the image preparation (tests/test_fuzz_images.py's property).

Draws --examples image files of every mode, size, format and damage (tests/image_fuzzing.py)
and checks each is prepared to 28x28 in [0, 1] or refused with the project's own one-line
error. Writes benchmarks/fuzz.json (examples tried, seed, failures); docs/bad-input.md's
section quotes it. About 2 minutes for 2,000 examples here.

    python scripts/fuzz_images.py --examples 10000 --seed 2
"""

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from image_fuzzing import image_files  # noqa: E402
from test_fuzz_images import prepared_or_refused  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    tried, kinds = [0], {}

    @seed(arguments.seed)
    @settings(max_examples=arguments.examples, deadline=None, database=None, phases=[Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(image_files())
    def check(case):
        tried[0] += 1
        fmt = case[1].split()[0]
        kinds[fmt] = kinds.get(fmt, 0) + 1
        prepared_or_refused(*case)

    started, failure = time.monotonic(), None
    try:
        check()
    except Exception as error:  # noqa: BLE001 - recorded, then shown
        failure = f"{type(error).__name__}: {error}"
    result = {"examples": tried[0], "seed": arguments.seed, "by_format": dict(sorted(kinds.items())),
              "failure": failure, "seconds": round(time.monotonic() - started)}
    (ROOT / "benchmarks" / "fuzz.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    sys.exit(1 if failure else 0)


if __name__ == "__main__":
    main()
