"""A family's public names, imported from their modules only when first used.

A family whose modules load TensorFlow (models, training) or matplotlib (reports) must not
load them because some other name of the family was imported: `mnistcnn --help` stays
instant. A family's `__init__` lists its names and the module each lives in; Python asks
the module's `__getattr__` (PEP 562) for a name the first time it is used.
"""

from importlib import import_module


def lazy_exports(package: str, homes: dict[str, str]):
    """(`__getattr__`, `__dir__`, `__all__`) for `package`, whose public names live in the
    modules `homes` names: {public name: module within the package}."""

    def __getattr__(name: str):
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{homes[name]}"), name)

    def __dir__() -> list[str]:
        return sorted(homes)

    return __getattr__, __dir__, sorted(homes)
