"""The sweeps: one module per hyperparameter, each declaring only data.

A sweep module sets `FIELD` (a config field), `VALUES` (its default values) and
`LABEL` (for plots). Adding a sweep is adding one such module here; `sweeping.py`
runs any of them.
"""

import importlib
import pkgutil
from dataclasses import dataclass

from mnistcnn.config import field_names
from mnistcnn.errors import UsageError

RESERVED_NAMES = ("all", "list")


@dataclass(frozen=True)
class Sweep:
    name: str
    field: str
    values: tuple
    label: str
    description: str


def _load(name: str) -> Sweep:
    module = importlib.import_module(f"{__name__}.{name}")
    if module.FIELD not in field_names():
        raise RuntimeError(f"sweep module {name} names unknown config field {module.FIELD}")
    description = (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""
    return Sweep(name, module.FIELD, tuple(module.VALUES), module.LABEL, description)


def sweep_names() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules(__path__))


def get_sweep(name: str) -> Sweep:
    if name not in sweep_names():
        raise UsageError(
            f"unknown sweep '{name}'; choose one of: {', '.join(sweep_names())} (or all, list)"
        )
    return _load(name)


def all_sweeps() -> list[Sweep]:
    return [_load(name) for name in sweep_names()]
