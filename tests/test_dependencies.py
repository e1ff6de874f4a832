"""The floors in pyproject.toml that keep users safe, and the installed versions that meet them."""

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from conftest import PROJECT_ROOT

# Keras fixed safe_mode for .h5 files in 3.11.3 (CVE-2025-9905, keras-team/keras#21602); before it, a
# Lambda layer's code ran when serve or predict loaded a file someone handed them.
SAFE_KERAS = Version("3.11.3")


def declared(name: str) -> Requirement:
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    return next(requirement for requirement in map(Requirement, project["dependencies"])
                if requirement.name == name)


def test_keras_floor_keeps_safe_mode_safe_for_h5():
    import keras

    requirement = declared("keras")
    floors = [Version(spec.version) for spec in requirement.specifier if spec.operator in (">=", "==", "~=")]
    assert floors and min(floors) >= SAFE_KERAS, requirement
    assert requirement.specifier.contains(keras.__version__), (keras.__version__, requirement)
