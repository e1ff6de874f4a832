"""Reading MNIST's original IDX files (gzip or raw), validating as we read.

IDX format: big-endian; bytes 0-1 zero, byte 2 the type code (0x08 = uint8),
byte 3 the number of dimensions, then one 4-byte size per dimension, then data.
"""

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from mnistcnn.core import InputError

UNSIGNED_BYTE = 0x08


def read_idx(path: Path, expected_dimensions: int) -> np.ndarray:
    """Read one IDX file of unsigned bytes.

    Args:
        path: the file, gzip-compressed if its name ends in `.gz`.
        expected_dimensions: 3 for images, 1 for labels.

    Returns:
        A uint8 array with the file's shape.

    Raises:
        InputError: the file is truncated, not gzip, or not a uint8 IDX file.
    """
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as stream:
                raw = stream.read()
        else:
            raw = path.read_bytes()
    except (OSError, EOFError, zlib.error) as error:
        # gzip reports truncation as EOFError and corruption as OSError/zlib.error.
        raise InputError(
            f"{path}: cannot decompress ({error}); download the file again"
        ) from None

    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise InputError(
            f"{path}: not an IDX file (wrong magic number); "
            "use the original MNIST files"
        )
    type_code, dimensions = raw[2], raw[3]
    if type_code != UNSIGNED_BYTE:
        raise InputError(
            f"{path}: IDX type code 0x{type_code:02x}, expected 0x08 (unsigned byte); "
            "use the original MNIST files"
        )
    if dimensions != expected_dimensions:
        raise InputError(
            f"{path}: {dimensions} dimensions, expected {expected_dimensions}; "
            "are image and label files swapped?"
        )
    header_size = 4 + 4 * dimensions
    if len(raw) < header_size:
        raise InputError(f"{path}: truncated header; download the file again")
    shape = struct.unpack(f">{dimensions}I", raw[4:header_size])
    expected_bytes = int(np.prod(shape))
    data_bytes = len(raw) - header_size
    if data_bytes != expected_bytes:
        problem = "truncated" if data_bytes < expected_bytes else "has trailing bytes"
        raise InputError(
            f"{path}: {problem}: header says {expected_bytes} bytes of data for shape "
            f"{shape}, found {data_bytes}; download the file again"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape)


def find_idx_file(directory: Path, prefix: str, kind: str) -> Path | None:
    """Find an MNIST file under any usual spelling, or None.

    MNIST circulates both as `train-images-idx3-ubyte` and `train-images.idx3-ubyte`,
    each raw or gzip-compressed; `prefix` is `train-images`, `kind` is `idx3-ubyte`.
    """
    for name in (f"{prefix}-{kind}", f"{prefix}.{kind}"):
        for candidate in (directory / f"{name}.gz", directory / name):
            if candidate.is_file():
                return candidate
    return None


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as IDX (gzip if the name ends in `.gz`); used by tests and scripts."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, UNSIGNED_BYTE, array.ndim]) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    payload = header + array.tobytes()
    path = Path(path)
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as stream:
            stream.write(payload)
    else:
        path.write_bytes(payload)
