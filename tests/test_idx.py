import numpy as np
import pytest

from mnistcnn.core import InputError
from mnistcnn.data import find_idx_file, read_idx, write_idx


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip_raw_and_gzip(tmp_path, suffix):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    path = tmp_path / f"images{suffix}"
    write_idx(path, images)
    np.testing.assert_array_equal(read_idx(path, 3), images)


@pytest.mark.parametrize("name", ["train-images-idx3-ubyte", "train-images.idx3-ubyte",
                                  "train-images-idx3-ubyte.gz", "train-images.idx3-ubyte.gz"])
def test_finds_every_spelling(tmp_path, name):
    (tmp_path / name).write_bytes(b"")
    assert find_idx_file(tmp_path, "train-images", "idx3-ubyte") == tmp_path / name


def test_missing_file_is_none(tmp_path):
    assert find_idx_file(tmp_path, "train-images", "idx3-ubyte") is None


def _idx_bytes(array):
    import struct
    return bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"\x01\x02\x08\x01" + b"\x00" * 8, "wrong magic"),
        (b"\x00\x00\x0d\x01\x00\x00\x00\x01" + b"\x00" * 4, "type code 0x0d"),
        (_idx_bytes(np.zeros((3, 28, 28), np.uint8))[:-5], "truncated"),
        (_idx_bytes(np.zeros((3, 28, 28), np.uint8)) + b"xx", "trailing bytes"),
        (_idx_bytes(np.zeros(3, np.uint8)), "1 dimensions, expected 3"),
        (b"\x00\x00\x08\x03\x00", "truncated header"),
    ],
)
def test_corrupt_files_name_the_problem(tmp_path, payload, message):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(payload)
    with pytest.raises(InputError, match=message) as caught:
        read_idx(path, 3)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_truncated_gzip(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    write_idx(path, np.zeros((50, 28, 28), np.uint8))
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(InputError, match="cannot decompress"):
        read_idx(path, 3)


def test_not_gzip_at_all(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(b"this is not gzip")
    with pytest.raises(InputError, match="cannot decompress"):
        read_idx(path, 3)
