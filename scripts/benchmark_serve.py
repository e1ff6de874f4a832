"""How fast `mnistcnn serve` answers a drawing: the canvas round trip, request to answer.

    python scripts/benchmark_serve.py --requests 300

Serves the committed model (and ensemble) on a free local port, exactly as `mnistcnn
serve` does (uvicorn, one process), and posts a drawn 7 as the page does (a 280x280
PNG, multipart) over one kept-alive connection, after 20 warm-up requests. Reports the
median and 90th percentile of the round trip per model, and the machine's load average
while it ran (another job on the cores slows every figure). Writes
benchmarks/serve.json and the serve table in BENCHMARKS.md.
Not timed here: it starts `mnistcnn serve` and times many round trips; it trains nothing.
"""

import argparse
import io
import json
import os
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
from markdown_blocks import markdown_table, replace_block  # noqa: E402
from mnistcnn.core import cpu_model  # noqa: E402

WARM_UP = 20


def canvas_png() -> bytes:
    """A 7 as the draw page sends it: black strokes on a white 280x280 canvas."""
    from PIL import Image, ImageDraw

    canvas = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(canvas).line([(70, 60), (210, 60), (120, 230)], fill=0, width=21, joint="curve")
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue()


def round_trips(url: str, model: str, requests: int) -> list[float]:
    import httpx

    image = canvas_png()
    milliseconds = []
    with httpx.Client(timeout=30) as client:
        for index in range(WARM_UP + requests):
            start = time.perf_counter()
            answer = client.post(url + "/api/predict", files={"image": ("drawing.png", image, "image/png")},
                                 data={"model": model, "top_k": "3"})
            elapsed = (time.perf_counter() - start) * 1000
            answer.raise_for_status()
            if index >= WARM_UP:
                milliseconds.append(elapsed)
    return milliseconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="Timed requests per model.")
    arguments = parser.parse_args()

    from mnistcnn.serving import create_app, serve_in_background

    models = ROOT / "models"
    app = create_app(models / "mnistcnn.h5", models / "mnistcnn-ensemble.h5", ROOT / "experiments", models)
    server, _, url = serve_in_background(app)
    load_before = os.getloadavg()[0]
    results = {}
    for model in ("single", "ensemble"):
        times = sorted(round_trips(url, model, arguments.requests))
        results[model] = {"median_ms": statistics.median(times), "p90_ms": times[int(0.9 * len(times))],
                          "requests": len(times)}
    server.should_exit = True
    facts = {"cpu": cpu_model(), "cores": os.cpu_count(), "load_average_1min": [load_before, os.getloadavg()[0]],
             "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
             "command": f"python scripts/benchmark_serve.py --requests {arguments.requests}"}
    (ROOT / "benchmarks" / "serve.json").write_text(json.dumps({"results": results, "machine": facts}, indent=2) + "\n")
    rows = [[model, f"{figures['median_ms']:.1f}", f"{figures['p90_ms']:.1f}", figures["requests"]]
            for model, figures in results.items()]
    table = "\n".join([
        markdown_table(["model", "median round trip (ms)", "90th percentile (ms)", "requests"], rows), "",
        f"{facts['cpu']}, {facts['cores']} cores; 1-minute load average {load_before:.1f} before and "
        f"{facts['load_average_1min'][1]:.1f} after; {facts['date']}. Command: `{facts['command']}`."])
    replace_block(ROOT / "BENCHMARKS.md", "serve", table)
    print(table)


if __name__ == "__main__":
    main()
