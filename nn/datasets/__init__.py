"""Data sets from local files: the shipped 8x8 digits, and loaders for .npz, CSV and
MNIST-style IDX files. Nothing is downloaded."""
from __future__ import annotations

import gzip
import os
import zipfile

import numpy as np

__all__ = ["load_digits", "load_npz", "load_csv", "load_idx", "DataFileError"]

_DIGITS = os.path.join(os.path.dirname(__file__), "digits.npz")


class DataFileError(ValueError):
    """A data file that is missing, truncated or not in the expected format."""


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 handwritten digits of the UCI "Optical Recognition of Handwritten Digits"
    test set: `x` uint8 images of shape (1797, 8, 8) with values 0-16, `y` uint8 labels 0-9.

    >>> x, y = load_digits()
    >>> x.shape, y.shape, int(x.max()), sorted(set(y.tolist())) == list(range(10))
    ((1797, 8, 8), (1797,), 16, True)
    """
    data = load_npz(_DIGITS)
    return data["images"], data["labels"]


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """All arrays of an .npz file (never unpickling objects)."""
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except FileNotFoundError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
        raise DataFileError(f"{os.fspath(path)} is not a readable .npz file: {e}") from None


def load_csv(path: str | os.PathLike, label_column: int | None = -1, skip_header: bool = False,
             delimiter: str = ",", dtype=np.float32) -> tuple[np.ndarray, np.ndarray | None]:
    """Numeric CSV rows as (features, labels); labels are the `label_column` (None: no labels)."""
    try:
        table = np.loadtxt(path, delimiter=delimiter, skiprows=int(skip_header), ndmin=2)
    except ValueError as e:
        raise DataFileError(f"{os.fspath(path)}: not a numeric CSV file ({e})") from None
    if label_column is None:
        return table.astype(dtype), None
    labels = table[:, label_column]
    features = np.delete(table, label_column % table.shape[1], axis=1)
    return features.astype(dtype), labels.astype(np.int64)


_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def load_idx(path: str | os.PathLike) -> np.ndarray:
    """An MNIST-style IDX file (optionally gzipped), e.g. train-images-idx3-ubyte."""
    opener = gzip.open if os.fspath(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DataFileError(f"{os.fspath(path)}: not an IDX file (bad magic number)")
    dtype, ndim = np.dtype(_IDX_TYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataFileError(f"{os.fspath(path)}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataFileError(f"{os.fspath(path)}: expected {expected} data bytes for shape {shape}, "
                            f"found {len(raw) - header}")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))
