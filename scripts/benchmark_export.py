"""The committed model and ensemble in every export format: size, test accuracy and speed.

    MNISTCNN_DATA=../shared/data/mnist python scripts/benchmark_export.py

Exports models/mnistcnn.h5 and models/mnistcnn-ensemble.h5 with `mnistcnn export`'s
own code into a temporary folder, then runs each file with its format's runtime (TF
SavedModel, onnxruntime, the LiteRT interpreter) on the 10,000 test images in batches
of 500: test accuracy, agreement with the .h5, and images per second (the better of two
passes, so a runtime's first-call setup is not counted). The .h5 itself (Keras
`predict`, batch 500) is the first row. Writes benchmarks/export.json and the export
table in BENCHMARKS.md.
Not timed here: two models exported to three formats, each run on the 10,000 test images; nothing is trained.
"""

import json
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
from markdown_blocks import markdown_table, replace_block  # noqa: E402
from mnistcnn.export import formats as export# noqa: E402
from mnistcnn.data import load_dataset  # noqa: E402
from mnistcnn.core import cpu_model  # noqa: E402
from mnistcnn.core import say  # noqa: E402
from mnistcnn.core import load_model  # noqa: E402


def best_speed(run, images) -> tuple[np.ndarray, float]:
    speeds = []
    for _ in range(2):
        start = time.perf_counter()
        probabilities = run(images)
        speeds.append(len(images) / (time.perf_counter() - start))
    return probabilities, max(speeds)


def main():
    dataset = load_dataset(os.environ.get("MNISTCNN_DATA"))
    images, labels = dataset.x_test, dataset.y_test
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in ("mnistcnn", "mnistcnn-ensemble"):
            model_file = ROOT / "models" / f"{name}.h5"
            model = load_model(model_file)
            reference, speed = best_speed(lambda batch: model.predict(batch, batch_size=500, verbose=0), images)
            rows.append({"model": name, "format": "h5 (Keras)", "megabytes": model_file.stat().st_size / 1e6,
                         "test_accuracy": float(np.mean(reference.argmax(axis=1) == labels)), "agreement": 1.0,
                         "images_per_second": speed})
            for export_format in export.FORMATS:
                output = export.default_output(Path(folder) / model_file.name, export_format)
                export.export_model(model_file, export_format, output, os.environ.get("MNISTCNN_DATA"), say)
                probabilities, speed = best_speed(export.RUNNERS[export_format](output), images)
                rows.append({"model": name, "format": export_format, "megabytes": export.file_size(output) / 1e6,
                             "test_accuracy": float(np.mean(probabilities.argmax(axis=1) == labels)),
                             "agreement": float(np.mean(probabilities.argmax(axis=1) == reference.argmax(axis=1))),
                             "images_per_second": speed})
    facts = {"cpu": cpu_model(), "cores": os.cpu_count(), "test_images": len(images),
             "load_average_1min": os.getloadavg()[0], "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
             "command": "MNISTCNN_DATA=../shared/data/mnist python scripts/benchmark_export.py"}
    (ROOT / "benchmarks" / "export.json").write_text(json.dumps({"rows": rows, "machine": facts}, indent=2) + "\n")
    cells = [[row["model"], row["format"], f"{row['megabytes']:.2f}", f"{row['test_accuracy']:.4f}",
              f"{row['agreement']:.2%}", f"{row['images_per_second']:,.0f}"] for row in rows]
    table = "\n".join([
        markdown_table(["model", "format", "MB", "test accuracy", "same digit as .h5", "images/s"], cells), "",
        f"{facts['test_images']} test images, batches of 500; {facts['cpu']}, {facts['cores']} cores, 1-minute load "
        f"average {facts['load_average_1min']:.1f}; {facts['date']}. Command: `{facts['command']}`."])
    replace_block(ROOT / "BENCHMARKS.md", "export", table)
    print(table)


if __name__ == "__main__":
    from script_help import answer_help  # a script run from scripts/ has it on its path

    answer_help(__doc__)
    main()
