"""The `mnistcnn` command line: one click group of thin commands.

No TensorFlow (nor NumPy) at module level, so `mnistcnn --help` is instant; each
command parses its options, calls one library function and prints. Mistakes a user
can make end in one `Error:` line and a non-zero exit, never a traceback.
"""

import json
import sys
from pathlib import Path

import click

from mnistcnn import __version__
from mnistcnn.cli_options import (FriendlyErrors, config_from, config_options, data_option, model_file_option,
                                  strategy_option)
from mnistcnn.core import UsageError
from mnistcnn.core import say as status
from mnistcnn.sweeps.race import MAX_REPEATS
from mnistcnn.sweeps.plan import SWEEP_PRESET

@click.group(cls=FriendlyErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mnistcnn")
def main():
    """Train, compare, evaluate and use convolutional networks on MNIST digits."""


@main.command("check-devices")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def check_devices_command(as_json):
    """Show the CPUs and GPUs TensorFlow sees and where a matrix product runs."""
    from mnistcnn.training import check_devices, format_report

    report = check_devices()
    click.echo(json.dumps(report, indent=2) if as_json else format_report(report))


@main.command("train-final")
@config_options()
@data_option
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("models/mnistcnn.h5"),
              show_default=True, help="Where to save the model (.h5); its story goes beside it as .json.")
@click.option("--overwrite", is_flag=True,
              help="Replace the output even if it was trained on more data than this run has.")
@click.option("--ensemble", type=click.IntRange(min=1), default=1, show_default=True,
              help="Train N members (seeds SEED..SEED+N-1) and save one model averaging their probabilities.")
@click.option("--from-sweeps", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="Take each field a sweep in DIR decided (the recipe's value decided worse than the leader); "
                   "ties keep the recipe's value. The sweeps must have been made with this recipe, and the "
                   "combination must have won a judging race (mnistcnn search NAME --judge).")
@click.option("--from-search", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="Take the settings that won the judging race of the search in DIR (mnistcnn search NAME --judge).")
@strategy_option()
def train_final_command(preset, data_source, output, overwrite, ensemble, from_sweeps, from_search, strategy,
                        **options):
    """Train the final model, evaluate it, and save it as .h5 with a .json story.

    Settings come from --preset (by default `final`, a quick recipe; `best` is the most accurate);
    any option given overrides the preset's value. Interrupted, the same command
    resumes: an ensemble reuses its finished members, and a fixed schedule (--patience
    at least --epochs) goes on after its last finished epoch.
    """
    config = config_from(preset, options)
    origins, swept_on = None, frozenset()
    if from_sweeps is not None and from_search is not None:
        raise UsageError("--from-sweeps and --from-search both choose the settings; give one (the judging race "
                         "of a search already weighs the sweeps' combination)")
    if from_sweeps is not None:
        from mnistcnn.search.judge import judged_combination
        from mnistcnn.sweeps.recipe import config_from_sweeps, sweeps_data

        combined, origins = config_from_sweeps(config, from_sweeps)
        changes = {field: value for field, value in combined.to_dict().items() if getattr(config, field) != value}
        if changes:  # the recipe itself needs no race to be trained
            origins["judged_by"] = judged_combination(from_sweeps, changes).sentence
        config, swept_on = combined, sweeps_data(from_sweeps)
    if from_search is not None:
        from mnistcnn.search.judge import config_from_search, read_search

        config, origins = config_from_search(config, from_search)
        swept_on = frozenset({read_search(from_search).get("data_fingerprint", "unrecorded")})
    for field, origin in (origins or {}).items():
        status(f"{field} = {origin}")
    from mnistcnn.final import train_final_from_source

    click.echo(train_final_from_source(config, data_source, output, overwrite, ensemble, strategy, status,
                                       origins, swept_on))


@main.command("evaluate")
@model_file_option("evaluate")
@data_option
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the confusion matrix, per-class scores and hardest mistakes.  [default: "
                   "MODEL-report beside the model; MODEL-report-SOURCE if that holds a report of other data]")
@click.option("--overwrite", is_flag=True,
              help="Replace a report folder even when it holds a report made from other data.")
@click.option("--train", "with_train", is_flag=True,
              help="Also measure the training split (60,000 images on MNIST: several times the time).")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as one JSON object.")
def evaluate_command(model_file, data_source, report_dir, overwrite, with_train, as_json):
    """Report loss and accuracy (with 95% intervals) on valid and test (and train with
    --train), accuracy by writer series, and where the model fails."""
    from mnistcnn.reports import model_report

    result = model_report.evaluate_model(model_file, data_source, report_dir, overwrite, status=status,
                                         with_train=with_train)
    for note in result["notes"]:
        status(f"note: {note}")
    if result["report"]:
        status(f"report: {', '.join(str(path) for path in result['report'])}")
    click.echo(model_report.as_json(result) if as_json else model_report.format_evaluation(result))


@main.command("predict")
@click.argument("images", nargs=-1, type=click.Path(path_type=Path))
@model_file_option("use")
@click.option("--top-k", type=click.IntRange(1, 10), default=1, show_default=True,
              help="Show the K most likely digits.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per image.")
@click.option("--save-preprocessed", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Save the 28x28 image the network saw for each file into this folder.")
@click.option("--kaggle-csv", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Predict Kaggle's digit-recognizer test.csv (pixel0..pixel783) instead of images.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("submission.csv"),
              show_default=True, help="With --kaggle-csv: the ImageId,Label submission file to write.")
def predict_command(images, model_file, top_k, as_json, save_preprocessed, kaggle_csv, output):
    """Predict the digit in each image file (or folder of images).

    Images are prepared the way MNIST's were: ink made bright on dark, background
    removed, cropped, scaled to 20 px and centred by mass in 28x28. Photos, scans
    and drawings in any format Pillow reads work. A file that cannot be used gets
    one error line and the others are still predicted.
    """
    from mnistcnn.predicting import prediction

    if kaggle_csv is not None:
        click.echo(prediction.predict_kaggle_command(images, model_file, kaggle_csv, output))
        return
    text, errors = prediction.predict_files_command(images, model_file, top_k, as_json, save_preprocessed)
    for error in errors:
        click.echo(f"Error: {error}", err=True)
    if text:
        click.echo(text)
    if errors:
        sys.exit(1)


@main.command("sweep")
@click.argument("name")
@click.option("--values", default=None, metavar="A,B,C", help="Values to try instead of the sweep's own.")
@config_options(SWEEP_PRESET, {"patience": "--epochs: no early stopping"})
@data_option
@click.option("--repeats", default="auto", show_default=True, metavar="auto|N",
              help="auto: 2 repeats a value, then one more at a time for the leader and the values not yet "
                   "decided against it; N: exactly N a value. Repeat k uses seed k and its own validation split.")
@click.option("--max-repeats", type=click.IntRange(min=2), default=MAX_REPEATS, show_default=True,
              help="Most repeats a value gets in a race.")
@click.option("--budget", type=click.FloatRange(min=0, min_open=True), default=None, metavar="MINUTES",
              help="Stop the race once the sweep's runs have trained this many minutes in all.")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the sweep's folder goes.  [default: experiments, or my-experiments when a sweep in "
                   "experiments was made with other settings or data, as the committed ones were]")
@click.option("--force", is_flag=True, help="Replace finished runs that were made with other settings.")
@click.option("--shard", default=None, metavar="K/N",
              help="With --repeats N: run only every N-th run of the sweep, starting at the K-th, so N machines "
                   "share it.")
@click.option("--storage", default=None, metavar="URL",
              help="Share the race with every worker started with the same URL (postgresql://…, sqlite:///FILE, "
                   "journal:PATH on a shared disk): each asks the storage for the next run nobody holds.  "
                   "[default: none; the folder alone, one process]")
@click.option("--replicate", is_flag=True,
              help="Rerun the sweep's comparisons on fresh writer splits and seeds its race never uses (2 repeats "
                   "at seed +1000) into OUTPUT_DIR/replication/NAME/, and say whether each verdict held.")
@strategy_option(("auto", "default", "mirrored"), " Several machines share a sweep with --shard.")
def sweep_command(name, values, preset, data_source, repeats, max_repeats, budget, output_dir, force, shard,
                  storage, replicate, strategy, **options):
    """Train one model per value of a hyperparameter and compare them, image by image.

    NAME is a sweep (see `mnistcnn sweep list`), or `all` to run every sweep. Every
    other setting can be given as on train-final; each run trains a fixed --epochs
    without early stopping. Each value is compared with the leader (fewest validation
    errors) on the same validation images, and labelled decided (worse by X) or a tie
    within ±D points. Results go to OUTPUT_DIR/NAME/: a folder per value and seed,
    summary.csv, accuracy.png, loss.png, difference.png and README.md. Rerunning
    resumes where it stopped. With --shard K/N, copy the shards' folders together and
    run `mnistcnn plot`.
    """
    from mnistcnn.sweeps import plan as sweep_plan

    if name == "list":
        click.echo(sweep_plan.list_text())
        return
    settings = sweep_plan.parse_repeats(repeats, max_repeats, budget)
    shard = sweep_plan.parse_shard(shard, settings, storage)
    plan = sweep_plan.plan_sweeps(name, values, preset, options)
    if storage is not None:
        from mnistcnn.sweeps.studies import check_storage_url

        check_storage_url(storage)
    if replicate:
        plan, settings, output_dir = sweep_plan.replication_of(plan, repeats, output_dir)
    try:
        folders = sweep_plan.run_planned(plan, data_source, settings, output_dir, force, shard, strategy, status,
                                         storage)
    except KeyboardInterrupt:
        sys.exit(130)  # the runner has said what finished and how to resume
    for folder in folders:
        click.echo(sweep_plan.result_text(folder))
        if replicate:
            click.echo(sweep_plan.replication_text(folder))


@main.command("search")
@click.argument("name")
@click.option("--trials", type=click.IntRange(min=1), default=None, metavar="N",
              help="Trials in all, over every worker (a trial another worker has begun by then is finished "
                   "too).  [default: 20, unless --budget is given]")
@click.option("--budget", type=click.FloatRange(min=0, min_open=True), default=None, metavar="MINUTES",
              help="Stop starting trials after this many minutes of this worker's wall time.")
@click.option("--storage", default=None, metavar="URL",
              help="The Optuna storage workers share: postgresql://…, sqlite:///FILE or journal:PATH.  "
                   "[default: a journal file in the search's folder]")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the search's folder goes.  [default: experiments/search, or my-experiments/search "
                   "when a search of that name there was made otherwise]")
@click.option("--judge", is_flag=True,
              help="Instead of more trials: race the 3 best trials against the sweeps' combination and the recipe "
                   "on fresh splits (seeds 2000+), into NAME/judged/; its winner is what --from-search trains.")
@config_options(SWEEP_PRESET, {"patience": "--epochs: no early stopping"})
@data_option
@strategy_option(("auto", "default", "mirrored"))
def search_command(name, trials, budget, storage, output_dir, judge, preset, data_source, strategy, **options):
    """Search the sweep catalog's settings jointly with Optuna (TPE, median pruning).

    Each trial trains once with settings the study proposes, the rest as the sweep
    recipe, on the sweeps' first validation split, and is scored by its validation
    error. Results go to OUTPUT_DIR/NAME/: trials/, summary.csv, importance.png,
    history.png, slices.png and README.md. Start the same command on more processes or
    machines (with one --storage) and they share the search; a rerun goes on from the
    study.
    """
    from mnistcnn.search import trials as search_trials

    plan = search_trials.plan_search(name, preset, options, trials, budget, storage)
    try:
        if judge:
            from mnistcnn.search.judge import judge_search, verdict
            from mnistcnn.sweeps.plan import result_text

            race = judge_search(search_trials.existing_folder(plan, output_dir), data_source, storage, strategy,
                                status)
            click.echo(result_text(race))
            click.echo(f"Winner: {verdict(race).winner} ({verdict(race).sentence})")
            return
        folder = search_trials.run_search(plan, data_source, output_dir, strategy, status)
    except KeyboardInterrupt:
        sys.exit(130)
    click.echo((folder / "README.md").read_text())


@main.command("runs")
@click.option("--experiments", type=click.Path(file_okay=False, path_type=Path), default=Path("experiments"),
              show_default=True, help="Folder of sweeps to read.")
@click.option("--models", type=click.Path(file_okay=False, path_type=Path), default=Path("models"),
              show_default=True, help="Folder of models (and their stories) to read.")
@click.option("--sort", default=None, metavar="FIELD", help="Sort by a column: numbers highest first, text A-Z.")
@click.option("--where", multiple=True, metavar="FIELD=VALUE", help="Keep runs whose FIELD reads VALUE (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of runs.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
def runs_command(experiments, models, sort, where, as_json, as_csv):
    """One table of every run under the experiments and models folders, read from
    their saved files (no training, no TensorFlow).

    Columns: run, seed, architecture, epochs, valid_split, best_valid_accuracy,
    final_valid_accuracy, test_accuracy, seconds, date. A run trained on other data than
    MNIST's own training set (Kaggle's train.csv) is marked *: its test figures cannot be trusted.
    """
    from mnistcnn.reports import runs_table

    if as_json and as_csv:
        raise UsageError("choose one of --json and --csv")
    rows, notes = runs_table.find_runs(experiments, models)
    rows = runs_table.select(rows, where, sort)
    for note in notes + runs_table.untrusted_notes(rows):
        status(f"note: {note}")
    click.echo(runs_table.as_json(rows) if as_json else runs_table.as_csv(rows) if as_csv else runs_table.as_text(rows))


@main.command("plot")
@click.argument("sweep_dir", type=click.Path(file_okay=False, path_type=Path))
def plot_command(sweep_dir):
    """Redraw a sweep's plots, summary and README from its saved files (no training),
    redoing every comparison from the runs' saved predictions; or, given a search's
    folder, its report from its study."""
    if (sweep_dir / "search.json").is_file():
        from mnistcnn.search.report import replot_search as redraw
    else:
        from mnistcnn.sweeps.report import write_sweep_report as redraw

    for path in redraw(sweep_dir):
        click.echo(f"wrote {path}")


@main.command("export")
@click.argument("model_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "export_format", type=click.Choice(["savedmodel", "onnx", "litert"]), required=True,
              help="savedmodel (TF Serving, TensorFlow), onnx (onnxruntime; needs .[export]) or litert "
                   "(.tflite for phones; needs .[export]).")
@click.option("--output", type=click.Path(path_type=Path), default=None,
              help="Where to write.  [default: beside the model: NAME-savedmodel/, NAME.onnx or NAME.tflite]")
@data_option
@click.option("--overwrite", is_flag=True,
              help="Replace an exported twin even when it was checked on more test images, or made from another "
                   "model.")
def export_command(model_file, export_format, output, data_source, overwrite):
    """Export MODEL (default: the committed model) for other runtimes: the inference
    network in float32, without its augmentation layers; ensembles too. The file is then
    run by its own runtime on the test images and must give the .h5's digit for every
    one; the agreement and the largest probability difference are printed."""
    from mnistcnn.export import export_model
    from mnistcnn.core import default_model_path

    check = export_model(model_file or default_model_path(), export_format, output, data_source, status, overwrite)
    click.echo(check.text())


@main.command("serve")
@model_file_option("serve")
@click.option("--ensemble-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="An ensemble to offer beside the model.  [default: NAME-ensemble.h5 beside the model, if there]")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 lets other machines in (there is no authentication).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--experiments", type=click.Path(file_okay=False, path_type=Path), default=Path("experiments"),
              show_default=True, help="Folder of sweeps the experiments page shows.")
@click.option("--models", type=click.Path(file_okay=False, path_type=Path), default=Path("models"),
              show_default=True, help="Folder of models the experiments page shows.")
def serve_command(model_file, ensemble_file, host, port, experiments, models):
    """A local web page: draw a digit and watch the network read it; browse the sweeps
    and models. Its JSON API (/api/predict, /api/models, /api/sweeps) is described at
    /openapi.json. Ctrl-C stops it."""
    from mnistcnn.serving import server

    server.serve(model_file, ensemble_file or server.default_ensemble_file(model_file), host, port,
                 experiments, models)


if __name__ == "__main__":
    sys.exit(main())
