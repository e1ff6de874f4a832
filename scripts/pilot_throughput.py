"""Training throughput of a preset with some fields changed, on synthetic images.

    python scripts/pilot_throughput.py best '[{}, {"augment": false}, {"filters": 16, "batch_size": 128}]'
    python scripts/pilot_throughput.py fast '[{}, {"filters": 24}]' --images 19200

For choosing candidates before their trials without reading any MNIST image (so no
accuracy is seen before a rule is written): each variant is built and compiled as the
preset is, warmed up on 2,048 random images, then timed on `--images` more, in three
rounds over all variants. Prints images/s and the seconds a 48,000-image epoch would take.
Not timed here: a warm-up pass and one timed pass a variant.
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
from wall_clock import warm_fit_seconds  # noqa: E402
from mnistcnn.core import import_keras, prepare  # noqa: E402

keras = import_keras()
import numpy as np  # noqa: E402

from mnistcnn.models import build_model  # noqa: E402
from mnistcnn.core import get_preset  # noqa: E402
from mnistcnn.training import compile_model, one_hot  # noqa: E402

WARM_UP_IMAGES = 2048

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("preset")
parser.add_argument("variants", help="a JSON list of field changes, one per variant")
parser.add_argument("--images", type=int, default=6400, help="images timed per variant and round")
arguments = parser.parse_args()

rng = np.random.default_rng(0)
x = rng.random((arguments.images, 28, 28, 1), dtype=np.float32)
y = one_hot(rng.integers(0, 10, arguments.images))
for _ in range(3):
    for changes in json.loads(arguments.variants):
        config = get_preset(arguments.preset).with_changes(**changes)
        prepare(0, config.precision)
        model = build_model(config)
        compile_model(model, config, 100)
        seconds = warm_fit_seconds(
            lambda images: model.fit(x[:images], y[:images], batch_size=config.batch_size, verbose=0),
            len(x), WARM_UP_IMAGES)
        print(changes, f"{len(x) / seconds:.0f} images/s, {48000 * seconds / len(x):.1f} s per 48,000", flush=True)
