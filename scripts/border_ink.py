"""How much of MNIST's ink a crop of its border would cut, on the training images alone.

    MNISTCNN_DATA=../shared/data/mnist python scripts/border_ink.py

For each crop (rows cut from the top and bottom, columns from each side, as
`--crop-height` and `--crop-width`): the share of training images with a pixel above 0.5
in the cut border, and the mean and largest share of an image's ink cut. No label and no
accuracy is read, so candidates can be chosen by it before their rule is written
(benchmarks/fast-trials.txt, round 5; the output is in benchmarks/crop-pilot.txt).
Not timed here; short: it reads the training images once and trains nothing.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
import numpy as np  # noqa: E402

from mnistcnn.core import MAX_CROP  # noqa: E402
from mnistcnn.data import load_dataset  # noqa: E402


def main() -> None:
    images = load_dataset(None).x_train[..., 0]
    total_ink = images.reshape(len(images), -1).sum(axis=1)
    print("crop_height crop_width | images touched (> 0.5) | mean ink cut | most ink cut")
    for rows in range(MAX_CROP + 1):
        for columns in range(MAX_CROP + 1):
            cut = np.ones(images.shape[1:], bool)
            cut[rows:images.shape[1] - rows, columns:images.shape[2] - columns] = False
            border = images[:, cut]
            share = border.sum(axis=1) / total_ink
            print(f"{rows} {columns} | {(border > 0.5).any(axis=1).mean():.2%} | {share.mean():.3%} | {share.max():.1%}")


if __name__ == "__main__":
    from script_help import answer_help  # a script run from scripts/ has it on its path

    answer_help(__doc__)
    main()
