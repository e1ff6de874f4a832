"""How mnistcnn was installed, and so the pip command that adds one of its extras.

No package index has mnistcnn, so `pip install "mnistcnn[export]"` never works. From a
source folder (`pip install -e .`, `pip install .`, or the checkout on the path with no
install at all) the extra comes from that folder; from anywhere else (a wheel), the
extra's own requirements are named, as the installed metadata lists them.
"""

import json
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

# The checkout this module sits in, when it runs from one (src/mnistcnn/core/installation.py).
CHECKOUT = Path(__file__).resolve().parents[3]


def install_command(extra: str) -> str:
    """The pip command that installs `extra` (e.g. "export") for this installation of mnistcnn."""
    distribution = _installed()
    source, editable = _source_folder(distribution)
    if source is not None:
        where = "." if source == Path.cwd().resolve() else str(source)
        return f'pip install {"-e " if editable else ""}"{where}[{extra}]"'
    return "pip install " + " ".join(f'"{requirement}"' for requirement in extra_requirements(distribution, extra))


def _installed():
    """mnistcnn's installed distribution, or None. With several on sys.path (an editable
    install puts `src/` there, and with it the build's own `src/mnistcnn.egg-info`, which has
    no install record), the one pip recorded the installation in is it."""
    found = list(metadata.distributions(name="mnistcnn"))
    recorded = [distribution for distribution in found if distribution.read_text("direct_url.json")]
    return (recorded or found or [None])[0]


def _source_folder(distribution) -> tuple[Path | None, bool]:
    """(the source folder it was installed from, whether editably), or (None, False) for a wheel."""
    if distribution is None:  # run from a checkout on sys.path, never installed
        return (CHECKOUT, True) if (CHECKOUT / "pyproject.toml").is_file() else (None, False)
    try:
        direct_url = json.loads(distribution.read_text("direct_url.json") or "{}")
    except ValueError:
        return None, False
    url = urlparse(direct_url.get("url", ""))
    # PEP 610: "dir_info" marks a local folder; a wheel or sdist has "archive_info" instead.
    if "dir_info" not in direct_url or url.scheme != "file":
        return None, False
    folder = Path(unquote(url.path)).resolve()
    if not (folder / "pyproject.toml").is_file():  # built in a folder that is gone
        return None, False
    return folder, bool(direct_url["dir_info"].get("editable"))


def extra_requirements(distribution, extra: str) -> list[str]:
    """The requirements `extra` adds, from metadata lines like `onnx; extra == "export"`."""
    requirements = []
    for line in (distribution.requires or []) if distribution is not None else []:
        requirement, _, marker = line.partition(";")
        if marker.replace("'", '"').replace(" ", "") == f'extra=="{extra}"':
            requirements.append(requirement.strip())
    return requirements
