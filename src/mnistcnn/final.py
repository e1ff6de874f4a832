"""`train-final`: train the model users keep, measure it, save it with its story."""

import shutil
import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from mnistcnn import __version__
from mnistcnn.core import Config
from mnistcnn.data import Dataset
from mnistcnn.core import OverwriteRefused, UsageError
from mnistcnn.core import DataRecord, RunRecord
from mnistcnn.core import say
from mnistcnn.core import device_description
from mnistcnn.core import read_record, save_model, story_describes

DEFAULT_MODEL_PATH = Path("models") / "mnistcnn.h5"


def refuse_to_replace(output: Path, dataset: Dataset) -> None:
    """Stop before training if `output` holds a model trained on more images than we have,
    or one whose story is missing, so that nobody can tell."""
    record = read_record(output)
    if not output.exists():
        return
    if record is None:
        raise OverwriteRefused(
            f"{output} exists with no story ({output.with_suffix('.json').name}) saying what it was trained on; "
            "pass --output for a new file, or --overwrite to replace it"
        )
    previous = record.data or DataRecord("unknown data")
    previous_images = previous.train + previous.valid
    our_images = len(dataset.y_train) + len(dataset.y_valid)
    if previous_images > our_images:
        raise OverwriteRefused(
            f"{output} was trained on {previous.source} ({previous_images} images) and this "
            f"run has {dataset.source} ({our_images}); pass --output for a new file, point --data at "
            "the full set, or pass --overwrite to replace it"
        )


def train_final_from_source(config: Config, data_source: str | None, output: Path, overwrite: bool,
                            ensemble: int, strategy_name: str, status, origins: dict | None = None,
                            sweeps_data: frozenset = frozenset()) -> str:
    """`mnistcnn train-final`: load the data, train and save; returns what to print.
    `origins` says where fields came from (`--from-sweeps`), for the story, and
    `sweeps_data` the data fingerprints of the sweeps that chose them."""
    from mnistcnn.data import read_source, split_source
    from mnistcnn.training import is_chief, make_strategy
    from mnistcnn.reports import seed_report

    strategy = make_strategy(strategy_name)
    source = read_source(data_source)
    dataset = split_source(source, config.valid_fraction, config.seed, config.valid_split)
    config = config.with_changes(valid_split=dataset.valid_split)
    status(dataset.describe())
    if sweeps_data and sweeps_data != {source.fingerprint}:
        status(f"note: the sweeps behind --from-sweeps were made on other data than {source.name} here; "
               "their winners were chosen there and need not hold on this data")
    record = train_final(config, dataset, output, overwrite=overwrite, strategy=strategy,
                         strategy_name=strategy_name, ensemble=ensemble, origins=origins)
    lines = []
    if ensemble == 1:
        epochs = record.epochs_run
        what = f"{epochs} epoch{'' if epochs == 1 else 's'}, best {record.best_epoch}"
    else:
        what = f"an ensemble of {ensemble}"
        lines += [f"member {number} (seed {member.seed}): test accuracy "
                  f"{member.accuracy('test') or float('nan'):.4f}"
                  for number, member in enumerate(record.members, start=1)]
    if is_chief(strategy):
        lines.append(f"saved {output} and {output.with_suffix('.json')} ({what}, {record.training_seconds:.0f} s)")
    else:
        lines.append(f"trained with the other workers ({what}); worker 0 saves the model")
    return "\n".join(lines + [seed_report(record.metrics)])


def train_final(config: Config, dataset: Dataset, output: Path, overwrite: bool = False,
                strategy=None, strategy_name: str = "default", ensemble: int = 1,
                origins: dict | None = None) -> RunRecord:
    """Train, evaluate on all three splits, and save `output` (.h5) with its `.json` story.

    With `ensemble` N > 1, trains N members (seeds `config.seed` to `config.seed + N - 1`)
    and saves one model that averages their probabilities; each finished member is kept
    in a hidden file beside `output` until the ensemble is saved, so an interrupted run
    resumes from the members it finished.

    Returns:
        The record of the run, as the story beside the model says it.
    """
    from mnistcnn.training import is_chief
    from mnistcnn.models import combine
    from mnistcnn.reports import evaluate

    output = Path(output)
    if output.suffix != ".h5":
        raise UsageError(f"--output {output} must end in .h5 (mnistcnn saves Keras HDF5 models)")
    if ensemble < 1:
        raise UsageError(f"--ensemble must be 1 or more, got {ensemble}")
    if not overwrite:
        refuse_to_replace(output, dataset)
    output.parent.mkdir(parents=True, exist_ok=True)
    chief = is_chief(strategy)  # whether this process writes: every model, and every finished member

    if ensemble == 1:
        model, training = _train_one(config, dataset, output, strategy)
        record = RunRecord(config.to_dict(), dataset.record(), **training)
    else:
        trained = []
        for index in range(ensemble):
            member_config = config.with_changes(seed=config.seed + index)
            member_path = output.with_name(f".{output.stem}.member-{index + 1}-of-{ensemble}.h5")
            trained.append(_trained_member(member_config, dataset, member_path, strategy, chief, index, ensemble))
        model = combine([member for member, _ in trained])
        members = tuple(member for _, member in trained)
        record = RunRecord(config.to_dict(), dataset.record(), members=members,
                           training_seconds=round(sum(member.training_seconds for member in members), 1),
                           precision=members[0].precision)
    provenance = _provenance(model, strategy, strategy_name)
    if origins:
        provenance["from_sweeps"] = origins  # each field's value, the sweep or search that gave it, the race that judged it
    record = replace(record, metrics=_accuracy_and_loss(evaluate(model, dataset)[0]), provenance=provenance)
    if not chief:
        return record  # under multi-worker, worker 0 writes the model
    record = RunRecord.from_json(save_model(model, output, record.to_json()))
    for stale in output.parent.glob(f".{output.stem}.member-*-of-{ensemble}.*"):
        if stale.is_dir():  # a member's backup, should one outlive its training
            shutil.rmtree(stale)
        else:
            stale.unlink()
    write_model_logs(output, record, len(dataset.y_train))
    return record


def write_model_logs(output: Path, record: RunRecord, train_images: int) -> None:
    """TensorBoard logs of a saved model's training in `NAME-tensorboard/` beside it, one
    run for each member of an ensemble."""
    from mnistcnn.reports import write_run_logs

    folder = output.with_name(f"{output.stem}-tensorboard")
    runs = record.members or (record,)
    if len(runs) > 1:
        folder.mkdir(exist_ok=True)
    for index, run in enumerate(runs, start=1):
        write_run_logs(folder / f"member-{index}" if len(runs) > 1 else folder, run.history,
                       Config.from_dict(run.config), train_images)


def _train_one(config: Config, dataset: Dataset, output: Path, strategy) -> tuple:
    """Train one network with a best-weights checkpoint beside `output`; return it and the
    facts of its training (RunRecord's training fields)."""
    from mnistcnn.training import is_multi_worker
    from mnistcnn.training import train

    checkpoint = output.with_name(f".{output.stem}.checkpoint.weights.h5")
    # A fixed schedule backs up every epoch, so a run started again after an interruption
    # (a closed laptop, a killed session) resumes that network where it stopped.
    resumable = config.fixed_schedule and not is_multi_worker(strategy)
    backup = output.with_name(f".{output.stem.lstrip('.')}.backup") if resumable else None
    try:
        result = train(config, dataset, checkpoint_path=checkpoint, strategy=strategy, backup_dir=backup)
    finally:
        checkpoint.unlink(missing_ok=True)
    return result.model, {
        "epochs_run": result.epochs_run,
        "best_epoch": result.best_epoch,
        "training_seconds": round(result.seconds, 1),
        "precision": result.precision,
        # Every epoch's train and valid loss and accuracy, as train()'s CSV log has them.
        "history": {name: [round(value, 6) for value in values] for name, values in result.history.items()},
    }


def _trained_member(config: Config, dataset: Dataset, path: Path, strategy, chief: bool, index: int,
                    count: int) -> tuple:
    """Member `index` of an ensemble: loaded if an interrupted run already finished it, else trained."""
    from mnistcnn.training import is_multi_worker
    from mnistcnn.reports import evaluate
    from mnistcnn.core import load_model

    finished = read_record(path)
    # Under multi-worker every worker must train every member in step, and only the chief
    # keeps finished ones, so members are reused only on one machine.
    # Configs compare as Config, so a member saved before a field was added (at its default) still matches.
    matching = (finished and Config.from_dict(finished.config) == config and dataset.record().same_data(finished.data)
                and path.exists() and not is_multi_worker(strategy))
    # The .h5 is renamed into place before its story, so a kill between the two leaves a newer
    # network beside an older story: only a story holding the checksum of this very .h5 speaks for it.
    if matching and "h5_sha256" in finished.provenance and story_describes(path, finished):
        say(f"member {index + 1} of {count} (seed {config.seed}): finished earlier, reused")
        return load_model(path), replace(finished, seed=config.seed)
    why = ": its saved network does not match its story's checksum (a save was interrupted), so it is trained again"
    say(f"member {index + 1} of {count} (seed {config.seed}){why if matching else ''}")
    model, training = _train_one(config, dataset, path, strategy)
    member = RunRecord(config.to_dict(), dataset.record(), _accuracy_and_loss(evaluate(model, dataset)[0]),
                       seed=config.seed, **training)
    if chief:
        save_model(model, path, member.to_json())
    return model, member


def _accuracy_and_loss(metrics: dict) -> dict:
    """What a story keeps of each split's metrics: accuracy with its 95% interval, loss, images."""
    kept = ("n", "accuracy", "interval", "loss")
    return {name: {key: values[key] for key in kept if key in values} for name, values in metrics.items()}


def _provenance(model, strategy, strategy_name: str) -> dict:
    """Where and how a kept model was made: strategy, machine, versions, size, command, date."""
    import keras
    import tensorflow as tf

    return {
        "strategy": strategy_name,
        "replicas": strategy.num_replicas_in_sync if strategy is not None else 1,
        "device": device_description(),
        "versions": {
            "mnistcnn": __version__,
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "python": sys.version.split()[0],
        },
        "parameters": int(model.count_params()),
        "command": " ".join(["mnistcnn", *sys.argv[1:]]),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
