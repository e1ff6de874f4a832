"""What the `mnistcnn` commands share: the group that turns the errors users cause into
one `Error:` line, and the options several commands take (data, model file, strategy,
one option per config field).

Like cli.py, no TensorFlow nor NumPy at module level, so `--help` stays instant.
"""

import os
import sys
from pathlib import Path

import click

from mnistcnn.core import CHOICES, Config, field_help, field_names
from mnistcnn.core import InputError, OverwriteRefused, UsageError
from mnistcnn.core import PRESETS, describe, get_preset

DATA_HELP = (
    "Where MNIST comes from: auto, mnist, sample, or a folder of IDX files / a mnist.npz."
    "  [env var: MNISTCNN_DATA; default: auto]"
)


class FriendlyErrors(click.Group):
    """Turns the errors users cause into one `Error:` line, with each error's exit code
    (2 for usage, 1 for inputs, 3 for a refused overwrite; see errors.py)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (UsageError, InputError, OverwriteRefused) as error:
            raise _exit_with(str(error), error.exit_code) from None
        except KeyboardInterrupt:
            # Ctrl-C: models and results are only ever renamed into place once complete,
            # so what existed before is intact; say so instead of showing a traceback.
            click.echo("\nInterrupted: nothing half-written was left in place; rerun the command to "
                       "start again (a sweep, an ensemble or a fixed schedule resumes where it stopped).", err=True)
            sys.exit(130)
        except BrokenPipeError:
            # The reader went away (`mnistcnn predict ... | head`): stop quietly, as the Python
            # docs advise, without a second error while flushing the closed pipe.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except OSError as error:  # a folder that is not writable, a full disk
            where = f": {error.filename}" if error.filename else ""
            raise _exit_with(f"{error.strerror or error}{where}; check the path and free space", 1) from None


def _exit_with(message: str, code: int) -> click.ClickException:
    exception = click.ClickException(message)
    exception.exit_code = code
    return exception


def strategy_option(choices=("auto", "default", "mirrored", "multi-worker"), more_help=""):
    meanings = {"auto": "auto (mirrored over 2+ GPUs)", "default": "default (one device)", "mirrored": "mirrored",
                "multi-worker": "multi-worker (the machines TF_CONFIG names; run the same command on each)"}
    named = [meanings[choice] for choice in choices]
    return click.option(
        "--strategy", type=click.Choice(list(choices)), default="auto", show_default=True,
        help=f"tf.distribute strategy: {', '.join(named[:-1])} or {named[-1]}. --batch-size is per replica."
             + more_help)


def data_option(function):
    return click.option("--data", "data_source", envvar="MNISTCNN_DATA", default=None,
                        metavar="SRC", help=DATA_HELP)(function)


EXPORTED_SUFFIXES = {".onnx", ".tflite"}


def model_file_option(verb: str):
    """--model-file; by default models/mnistcnn.h5 here, else the installed checkout's (storage.py)."""
    def resolve(context, parameter, value):
        from mnistcnn.core import default_model_path

        if value is not None and value.suffix.lower() in EXPORTED_SUFFIXES:
            # A twin is only trusted against the .h5 it was checked with (twins.py).
            raise click.BadParameter(f"{value} is an exported file; pass the .h5 it was exported from "
                                     f"({value.with_suffix('.h5')}), and its up-to-date twin is read in its place")
        return value if value is not None else default_model_path()

    return click.option("--model-file", type=click.Path(dir_okay=False, path_type=Path), envvar="MNISTCNN_MODEL",
                        default=None, callback=resolve, is_eager=False, expose_value=True,
                        help=f"The Keras .h5 model to {verb}.  [env var: MNISTCNN_MODEL; default: "
                             "models/mnistcnn.h5 here, else the one committed with mnistcnn]")


def config_options(default_preset: str = "final", defaults_shown: dict | None = None):
    """`--preset` and one option per config field; a field given overrides the preset.

    Each option's help shows what the default preset gives it, which is what runs when
    the option and --preset are both left out, or the command's own default from
    `defaults_shown`."""
    preset_config = get_preset(default_preset)

    def decorate(function):
        for name in reversed(field_names()):
            default = getattr(preset_config, name)
            flag = name.replace("_", "-")
            shown = f"{field_help(name)}  [{(defaults_shown or {}).get(name) or f'{default_preset} preset: {default}'}]"
            if isinstance(default, bool):
                function = click.option(f"--{flag}/--no-{flag}", name, default=None, help=shown)(function)
                continue
            kind = click.Choice(CHOICES[name]) if name in CHOICES else type(default)
            function = click.option(f"--{flag}", name, type=kind, default=None, help=shown)(function)
        presets_help = "; ".join(f"{name}: {describe(name)}" for name in PRESETS)
        return click.option("--preset", type=click.Choice(list(PRESETS)), default=default_preset, show_default=True,
                            help=f"Starting settings ({presets_help}).")(function)

    return decorate


def config_from(preset: str, options: dict) -> Config:
    return get_preset(preset).with_changes(**{name: value for name, value in options.items() if value is not None})
