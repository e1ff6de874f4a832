"""Loading MNIST from wherever it is, as train / valid / test arrays.

Sources (`--data SRC` or the environment variable `MNISTCNN_DATA`):
  auto    the environment's path; else Keras's cache; else Keras's download (short
          timeout); else the bundled sample, with a loud warning.
  mnist   the full set (cache or download) or an error: no fallback.
  sample  the class-balanced subset bundled in the package.
  a path  a folder with the four IDX files (gzip or raw, either spelling), a
          Keras `mnist.npz`, or Kaggle's digit-recognizer `train.csv` (no test split).

`valid` is drawn from the training images (seeded): all the digits of some writers
(`writers`, where the images are recognised as MNIST's own, see writers.py) or digits
at random (`random`); `test` is always the test set.
"""

import hashlib
import os
import socket
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from mnistcnn.core import InputError, UsageError
from mnistcnn.data.idx import find_idx_file, read_idx
from mnistcnn.core import DataRecord
from mnistcnn.core import stdout_to_stderr
from mnistcnn.core import say
from mnistcnn.data.writers import Writers, mnist_writers, writer_split, writers_of

ENVIRONMENT_VARIABLE = "MNISTCNN_DATA"
SAMPLE_PATH = Path(__file__).parent / "sample" / "mnist-sample.npz"
DOWNLOAD_TIMEOUT_SECONDS = 10
IDX_FILES = {
    "x_train": ("train-images", "idx3-ubyte", 3),
    "y_train": ("train-labels", "idx1-ubyte", 1),
    "x_test": ("t10k-images", "idx3-ubyte", 3),
    "y_test": ("t10k-labels", "idx1-ubyte", 1),
}


@dataclass(frozen=True)
class Dataset:
    """Images as float32 in [0, 1] with shape (n, 28, 28, 1); labels as uint8 0-9."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # "mnist", "sample" or "kaggle"
    location: str  # where it was read from
    valid_split: str = "random"  # "writers" or "random": how valid was drawn
    valid_writers: int = 0  # writers whose digits make up valid (0 for a random split)
    test_writers: Writers | None = None  # who wrote each test digit, where known
    valid_index: np.ndarray | None = None  # each valid image's position among the training images read
    valid_writer: np.ndarray | None = None  # who wrote each valid digit, where known

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (images, labels) of "train", "valid" or "test"."""
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}")

    def describe(self) -> str:
        """One line for the user, e.g. `data: mnist (54000 train / ...) from PATH`."""
        return f"data: {self.record().summary()} from {self.location}"

    def record(self) -> DataRecord:
        """What a run's record keeps of its data: source, location, split kind and sizes."""
        return DataRecord(self.source, self.location, self.valid_split, self.valid_writers,
                          *(len(self.split(name)[1]) for name in ("train", "valid", "test")))


@dataclass(frozen=True)
class Source:
    """A data source as read, before any split: uint8 images, labels, and their writers
    where the images are MNIST's own (training writers, test writers)."""

    arrays: dict  # x_train, y_train, x_test, y_test
    name: str  # "mnist", "sample" or "kaggle"
    location: str
    writers: tuple[Writers, Writers] | None

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of every image and label, training then test: what a sweep run's identity
        holds of its data, so two sets of the same sizes (Fashion-MNIST beside MNIST) never
        pass for each other, wherever either is read from."""
        return images_fingerprint(*(self.arrays[key] for key in ("x_train", "y_train", "x_test", "y_test")))

    def split_kind(self, valid_split: str) -> str:
        """`auto` resolved: writers where the writers are known, else random.

        Raises:
            UsageError: `writers` on images whose writers are unknown.
        """
        if valid_split == "auto":
            return "writers" if self.writers else "random"
        if valid_split == "writers" and self.writers is None:
            raise UsageError(
                f"--valid-split writers needs MNIST's own training images (the full set in its original order, "
                f"or the bundled sample), and {self.location} is not recognised as such; use --valid-split random"
            )
        return valid_split


def images_fingerprint(*arrays: np.ndarray) -> str:
    """SHA-256 of arrays of pixels or labels (0-255), in order, as uint8."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array, dtype=np.uint8).tobytes())
    return digest.hexdigest()


def read_source(source: str | None = None) -> Source:
    """Read `source` ("auto", "mnist", "sample" or a path; None means `MNISTCNN_DATA` or
    auto) and check it.

    Raises:
        UsageError: an unknown source.
        InputError: the files cannot be found or are corrupt.
    """
    with stdout_to_stderr():  # Keras's download prints to stdout, which holds results only
        arrays, source_name, location = _read_source(source or os.environ.get(ENVIRONMENT_VARIABLE) or "auto")
    _check_pairs(arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"], location)
    return Source(arrays, source_name, location, _known_writers(arrays, source_name))


def load_dataset(source: str | None = None, valid_fraction: float = 0.1, seed: int = 0,
                 valid_split: str = "auto") -> Dataset:
    """Load MNIST from `source` and split off a validation set (see `split_source`)."""
    if not 0 <= valid_fraction < 1:
        raise UsageError(
            f"valid fraction {valid_fraction} is not between 0 and 1; use e.g. 0.1"
        )
    return split_source(read_source(source), valid_fraction, seed, valid_split)


def split_source(source: Source, valid_fraction: float = 0.1, seed: int = 0, valid_split: str = "auto") -> Dataset:
    """Split off a validation set from the training images of `source`.

    Args:
        valid_fraction: share of the training images held out for validation; 0 keeps
            them all for training (a fixed schedule needs no validation).
        seed: makes the validation split the same on every run.
        valid_split: "writers" (all the digits of some writers), "random", or "auto":
            writers where the writers are known, else random.

    Raises:
        UsageError: `writers` on images whose writers are unknown, or a fraction that leaves
            an empty split.
    """
    x_train, y_train, x_test, y_test = (source.arrays[key] for key in ("x_train", "y_train", "x_test", "y_test"))
    writers, location = source.writers, source.location
    valid_split = source.split_kind(valid_split)

    order = np.random.default_rng(seed).permutation(len(y_train))
    if valid_fraction == 0:
        valid_index, train_index = order[:0], order
    elif valid_split == "writers":
        valid_index, train_index = writer_split(writers[0], valid_fraction, seed)
    else:
        valid_count = round(len(y_train) * valid_fraction)
        if valid_count == 0 or valid_count == len(y_train):
            raise UsageError(
                f"valid fraction {valid_fraction} leaves an empty split of {len(y_train)} "
                "training images; use a fraction like 0.1"
            )
        valid_index, train_index = order[:valid_count], order[valid_count:]
    return Dataset(
        x_train=to_model_input(x_train[train_index]),
        y_train=y_train[train_index],
        x_valid=to_model_input(x_train[valid_index]),
        y_valid=y_train[valid_index],
        x_test=to_model_input(x_test),
        y_test=y_test,
        source=source.name,
        location=location,
        valid_split=valid_split,
        valid_writers=len(np.unique(writers[0].writer[valid_index])) if valid_split == "writers" else 0,
        test_writers=writers[1] if writers else None,
        valid_index=valid_index,
        valid_writer=writers[0].writer[valid_index] if writers else None,
    )


def _known_writers(arrays: dict, source_name: str) -> tuple[Writers, Writers] | None:
    """(training, test) writers of these images, if they are MNIST's own."""
    if "index_train" in arrays:  # the bundled sample names the MNIST images it holds
        return writers_of(arrays["index_train"], arrays["index_test"])
    if source_name != "mnist":
        return None
    return mnist_writers(arrays["x_train"], arrays["y_train"])


def to_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 images (n, 28, 28) as the network takes them: float32 in [0, 1], (n, 28, 28, 1)."""
    scaled = images.astype(np.float32)
    scaled /= 255.0  # in place: the same values as a division into a new array, one copy fewer
    return scaled[..., np.newaxis]


def _read_source(source: str) -> tuple[dict, str, str]:
    """Return (arrays by key, source name, location) for a source string."""
    if source == "sample":
        return _read_sample(), "sample", str(SAMPLE_PATH)
    if source == "mnist":
        return _read_full_mnist()
    if source == "auto":
        environment_path = os.environ.get(ENVIRONMENT_VARIABLE)
        if environment_path and environment_path != "auto":
            return _read_source(environment_path)
        try:
            return _read_full_mnist()
        except InputError as error:
            say(
                f"WARNING: the full MNIST set could not be had ({error}).\n"
                f"WARNING: using the bundled SAMPLE ({SAMPLE_PATH.name}, ~10k training images);"
                f" results will be weaker. To use the full set, set {ENVIRONMENT_VARIABLE} or"
                " --data to a folder with the four MNIST IDX files or a mnist.npz."
            )
            return _read_sample(), "sample", str(SAMPLE_PATH)
    return _read_path(Path(source))


def _read_path(path: Path) -> tuple[dict, str, str]:
    if path.is_dir():
        return _read_idx_folder(path), "mnist", str(path)
    if path.is_file() and path.suffix == ".npz":
        return _read_npz(path), "mnist", str(path)
    if path.is_file() and path.suffix == ".csv":
        # Kaggle's digit-recognizer train.csv: labelled images, and no test split.
        from mnistcnn.data.kaggle import read_kaggle_csv

        images, labels = read_kaggle_csv(path, labelled=True)
        empty = {"x_test": np.zeros((0, 28, 28), np.uint8), "y_test": np.zeros(0, np.uint8)}
        return {"x_train": images, "y_train": labels, **empty}, "kaggle", str(path)
    if path.exists():
        raise InputError(
            f"data source {path} is not a folder of IDX files, a .npz or a Kaggle .csv; "
            "point --data at the folder holding train-images-idx3-ubyte.gz and the others"
        )
    raise UsageError(
        f"data source '{path}' does not exist; use auto, mnist, sample, or a path to "
        "a folder of MNIST IDX files or a mnist.npz"
    )


def _read_idx_folder(directory: Path) -> dict:
    found = {key: find_idx_file(directory, prefix, kind) for key, (prefix, kind, _) in IDX_FILES.items()}
    missing = [f"{prefix}-{kind}[.gz]" for key, (prefix, kind, _) in IDX_FILES.items() if found[key] is None]
    if missing:
        raise InputError(
            f"{directory}: missing {', '.join(missing)}; the folder needs all four MNIST IDX files"
        )
    return {key: read_idx(found[key], IDX_FILES[key][2]) for key in IDX_FILES}


def _read_npz(path: Path) -> dict:
    try:
        with np.load(path) as archive:
            missing = [key for key in IDX_FILES if key not in archive.files]
            if missing:
                raise InputError(
                    f"{path}: missing arrays {', '.join(missing)}; a Keras mnist.npz holds "
                    "x_train, y_train, x_test, y_test"
                )
            arrays = {key: np.asarray(archive[key]) for key in IDX_FILES}
    except (OSError, ValueError, EOFError) as error:
        if isinstance(error, InputError):
            raise
        raise InputError(f"{path}: not a readable .npz file ({error}); download it again") from None
    for key in ("x_train", "x_test"):
        if arrays[key].ndim != 3 or arrays[key].shape[1:] != (28, 28):
            raise InputError(f"{path}: {key} has shape {arrays[key].shape}, expected (n, 28, 28)")
        arrays[key] = _as_pixels(arrays[key], path, key)
    for key in ("y_train", "y_test"):
        arrays[key] = arrays[key].astype(np.int64).reshape(-1)
    return arrays


def _as_pixels(images: np.ndarray, path: Path, key: str) -> np.ndarray:
    """`images` as uint8 pixels 0-255, checked first: a cast alone would turn floats in
    [0, 1] into blank images and wrap an integer 300 round to 44.

    Floats of at most 1 are a normalised set, and are scaled back to 0-255 as the user
    means them; floats and integers in 0-255 are pixels as they are.

    Raises:
        InputError: not numbers, or values outside both ranges.
    """
    if images.size == 0:
        return images.astype(np.uint8)
    if images.dtype.kind not in "uif":
        raise InputError(f"{path}: {key} holds {images.dtype} values, expected pixels 0-255 (uint8) "
                         "or floats in [0, 1]; save the images as numbers")
    low, high = images.min(), images.max()
    if images.dtype.kind == "f":
        if not (np.isfinite(low) and np.isfinite(high)) or low < 0 or high > 255:
            raise InputError(f"{path}: {key} holds floats from {low:g} to {high:g}, expected [0, 1] or "
                             "[0, 255]; rescale the images to one of those ranges")
        return np.rint(images * 255 if high <= 1 else images).astype(np.uint8)
    if low < 0 or high > 255:
        raise InputError(f"{path}: {key} holds values {low}..{high}, expected pixels 0-255; rescale the "
                         "images to 0-255 and save them as uint8")
    return images.astype(np.uint8)


def _read_sample() -> dict:
    """The bundled sample, with the original MNIST index of each of its images."""
    arrays = _read_npz(SAMPLE_PATH)
    with np.load(SAMPLE_PATH) as archive:
        arrays.update({key: archive[key] for key in ("index_train", "index_test")})
    return arrays


def _check_pairs(x_train, y_train, x_test, y_test, location: str) -> None:
    for name, images, labels in (("train", x_train, y_train), ("test", x_test, y_test)):
        if images.shape[1:] != (28, 28):
            raise InputError(f"{location}: {name} images are {images.shape[1:]}, expected 28x28")
        if len(images) != len(labels):
            raise InputError(
                f"{location}: {len(images)} {name} images but {len(labels)} labels; "
                "the image and label files must come from the same release"
            )
        if len(labels) and (labels.min() < 0 or labels.max() > 9):
            raise InputError(
                f"{location}: {name} labels range {labels.min()}..{labels.max()}, expected 0-9; "
                "the label file is corrupt, download it again"
            )


def keras_cache_path() -> Path:
    """Where `keras.datasets.mnist.load_data` keeps its download."""
    keras_home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(keras_home) / "datasets" / "mnist.npz"


def _read_full_mnist() -> tuple[dict, str, str]:
    cache = keras_cache_path()
    if cache.is_file():
        return _read_npz(cache), "mnist", str(cache)
    try:
        arrays = download_with_keras()
    except Exception as error:  # any network failure means: not available here
        reason = " ".join(str(error).split())[:160] or "no reason given"
        raise InputError(
            f"not in Keras's cache ({cache}) and Keras's download failed ({type(error).__name__}: {reason}); "
            f"connect to the internet or set {ENVIRONMENT_VARIABLE} to a folder with the four MNIST IDX files"
        ) from None
    return arrays, "mnist", f"Keras download ({cache})"


def download_with_keras() -> dict:
    """Download MNIST with Keras, giving up quickly when offline.

    Tests replace this function so they never wait on the network.
    """
    from mnistcnn.core import import_keras

    keras = import_keras()  # quietly: TensorFlow's start-up lines are not the user's business

    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_SECONDS)
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    finally:
        socket.setdefaulttimeout(previous_timeout)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
