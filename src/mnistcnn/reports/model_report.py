"""`evaluate`: measure a saved model on the data it was made with, and say where it fails.

The validation split is rebuilt from the model's story (fraction, seed, split kind), so
"valid" stays held out. It is reported only when the data is the model's own (same
source, sizes and split as its story records): on other data the "validation" images
may be ones the model trained on, so they are left out with a note. A model trained on other
data than MNIST's own training set (Kaggle's train.csv) may have trained on test digits too,
which another note says. The report folder
(confusion matrix, per-digit scores, hardest mistakes) is replaced only by a report of
the model on its own data, or by the same report again, unless `overwrite`. Without a
folder named, a report on other data that would replace one goes beside it instead
(`MODEL-report-SOURCE`): the committed model's report, made from the full set, stays as
committed when someone evaluates on the bundled sample.
"""

import json
from pathlib import Path

from mnistcnn.core import Config
from mnistcnn.core import OverwriteRefused
from mnistcnn.core import atomic_write_text
from mnistcnn.reports.statistics import format_interval
from mnistcnn.core import say

REPORT_RECORD = "report.json"  # what made the report in its folder


def default_report_dir(model_file: Path) -> Path:
    return Path(model_file).with_name(f"{Path(model_file).stem}-report")


def evaluate_model(model_file: Path, data_source: str | None, report_dir: Path | None = None,
                   overwrite: bool = False, status=say, with_train: bool = False) -> dict:
    """Evaluate the model at `model_file` (through its up-to-date exported twin when it has
    one, which spares loading TensorFlow) and write its report. The training split, the
    largest and the least telling, is measured only `with_train`.

    Returns:
        {"model", "data", "metrics" by split, "members" (ensembles), "test_by_writer"
        (where the writers are known), "notes", "report" (files written)}.
    """
    from mnistcnn.data import load_dataset
    from mnistcnn.reports.evaluation import by_writer, evaluate, write_report
    from mnistcnn.core import file_sha256, read_record, story_describes
    from mnistcnn.export import load_predictor

    model_file = Path(model_file)
    model = load_predictor(model_file, status)
    story = read_record(model_file)
    notes = []
    if story and not story_describes(model_file, story):
        notes.append(f"{model_file.with_suffix('.json')} does not describe {model_file} (its checksum differs, "
                     "as after an interrupted save); its story is ignored")
        story = None
    trained_with = Config.from_dict(story.config if story else {})
    # "auto" makes the writer split wherever it can be made, so the model's own data gets its
    # own split back, and other data whose writers are unknown still loads (its valid is left out).
    split = "auto" if trained_with.valid_split == "writers" else trained_with.valid_split
    dataset = load_dataset(data_source, trained_with.valid_fraction, trained_with.seed, split)
    status(dataset.describe())
    recorded, data = (story.data if story else None), dataset.record()
    own_data = data.same_data(recorded)
    splits = ("train", "valid", "test") if with_train else ("valid", "test")
    if not own_data and len(dataset.y_valid):
        splits = tuple(name for name in splits if name != "valid")
        why = f"its story says {recorded.summary()}" if recorded else "it has no story saying"
        notes.append(f"valid left out: this data is not what the model was made with ({why}), so its "
                     "validation split may hold images the model trained on")
    not_held_out = recorded.test_not_held_out() if recorded else None
    if not_held_out and len(dataset.y_test):
        notes.append(f"test figures cannot be trusted: the model was trained on {recorded.source} data, not MNIST's "
                     f"own training set ({not_held_out})")

    record = {"model_sha256": file_sha256(model_file), "data": data.summary()}
    if len(dataset.y_test):  # checked before measuring, so a refusal costs no time
        report_dir = choose_report_dir(model_file, report_dir, record, data.source, own_data or overwrite, notes)
    metrics, probabilities = evaluate(model, dataset, splits)
    result = {
        "model": str(model_file),
        "read_by": read_by(model),
        "data": data.summary(),
        "metrics": metrics,
        "members": [evaluate(member, dataset, splits)[0] for member in ensemble_members(model_file, model)],
        "notes": notes,
        "report": [],
    }
    if "test" in probabilities:
        if dataset.test_writers is not None:
            result["test_by_writer"] = by_writer(probabilities["test"], dataset.y_test, dataset.test_writers)
        title = f"{model_file.name} on {data.summary()}"
        result["report"] = write_report(report_dir, dataset, probabilities["test"], title)
        atomic_write_text(report_dir / REPORT_RECORD, json.dumps(record, indent=2) + "\n")
        result["report"].append(report_dir / REPORT_RECORD)
    else:
        notes.append("no test split in this data source: no report written")
    return result


def ensemble_members(model_file: Path, model) -> list:
    """The member networks of an ensemble ([] for a single model), from Keras: an exported
    twin holds only their average, so an ensemble read through one is loaded again."""
    from mnistcnn.core import holds_ensemble, load_model
    from mnistcnn.export import Twin

    if isinstance(model, Twin):
        if not holds_ensemble(model_file):
            return []
        model = load_model(model_file)
    from mnistcnn.models import members

    return members(model)


def choose_report_dir(model_file: Path, report_dir: Path | None, record: dict, source: str, replace: bool,
                      notes: list) -> Path:
    """The folder this report goes to: `report_dir` if given, else `MODEL-report` beside the
    model, used when it is free (missing, empty, or holding this same report) or `replace`
    allows it. Else a folder named is refused, and the default gives way to
    `MODEL-report-SOURCE`, with a note saying why.

    Raises:
        OverwriteRefused: the folder it would use holds another report.
    """
    if report_dir is not None or replace:
        report_dir = Path(report_dir or default_report_dir(model_file))
        if not replace:
            _refuse_to_replace_report(report_dir, record)
        return report_dir
    default = default_report_dir(model_file)
    held = _other_report_in(default, record)
    if held is None:
        return default
    own = default.with_name(f"{default.name}-{source}")
    _refuse_to_replace_report(own, record)
    notes.append(f"{default} holds a report made from {held} and is left as it is; this report of data "
                 f"{record['data']} is in {own}")
    return own


def _other_report_in(report_dir: Path, record: dict) -> str | None:
    """What the report in `report_dir` was made from, or None if the folder is free for `record`."""
    if not report_dir.is_dir() or not any(report_dir.iterdir()):
        return None
    try:
        previous = json.loads((report_dir / REPORT_RECORD).read_text())
    except (OSError, ValueError):
        previous = None
    if previous == record:
        return None
    return f"data {previous['data']}" if isinstance(previous, dict) and "data" in previous else \
        "an unrecorded model or data"


def _refuse_to_replace_report(report_dir: Path, record: dict) -> None:
    held = _other_report_in(report_dir, record)
    if held is not None:
        raise OverwriteRefused(
            f"{report_dir} holds a report made from {held}, and this one is of data {record['data']}; "
            "pass --report-dir for another folder, or --overwrite to replace it"
        )


def seed_report(metrics: dict) -> str:
    """The deep-CNN seed's two lines, accuracy and loss on train, valid and test, and a
    third with each accuracy's 95% interval."""
    names = [name for name in ("train", "valid", "test") if name in metrics]
    lines = [f"{quantity.capitalize():>9}: " + "  ".join(f"{name} {metrics[name][quantity]:.4f}" for name in names)
             for quantity in ("accuracy", "loss")]
    if all("interval" in metrics[name] for name in names):
        lines.append("   95% CI: " + "  ".join(f"{name} {format_interval(metrics[name]['interval'])}"
                                              for name in names))
    return "\n".join(lines)


def read_by(model) -> str:
    """Which runtime's figures these are: a twin's (`onnxruntime`, `ai_edge_litert`) or Keras's."""
    from mnistcnn.export import TWIN_RUNTIMES
    from mnistcnn.export import Twin

    return TWIN_RUNTIMES[model.format] if isinstance(model, Twin) else "keras"


def format_evaluation(result: dict) -> str:
    """`evaluate`'s text: each member, the model, and the test set by writer."""
    lines = []
    for number, member in enumerate(result["members"], start=1):
        lines += [f"member {number}:", seed_report(member)]
    if result["members"]:
        lines.append(f"ensemble of {len(result['members'])}:")
    lines.append(seed_report(result["metrics"]))
    writers = result.get("test_by_writer")
    if writers:
        lines.append("Test by series: " + "  ".join(
            f"{name} {values['accuracy']:.4f} {format_interval(values['interval'])} ({values['n']} digits)"
            for name, values in writers["series"].items()))
        lines.append(f"Test writers: {writers['writers_with_errors']} of {writers['writers']} had at least "
                     "one digit misread")
    return "\n".join(lines)


def as_json(result: dict) -> str:
    """`evaluate --json`: the splits at the top level, as before, and the rest beside them."""
    document = {"model": result["model"], "read_by": result["read_by"], "data": result["data"], **result["metrics"]}
    if result["members"]:
        document["members"] = result["members"]
    if "test_by_writer" in result:
        document["test_by_writer"] = result["test_by_writer"]
    document["notes"] = result["notes"]
    document["report"] = [str(path) for path in result["report"]]
    return json.dumps(document, indent=2)
