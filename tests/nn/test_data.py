import gzip

import numpy as np
import pytest

from nn.data import Dataset
from nn.datasets import DataFileError, load_csv, load_digits, load_idx, load_npz


def test_digits_shipped_with_the_package():
    x, y = load_digits()
    assert x.shape == (1797, 8, 8) and y.shape == (1797,)
    assert x.min() == 0 and x.max() == 16
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_slices_batch_and_remainder():
    ds = Dataset.from_tensor_slices({"x": np.arange(10).reshape(5, 2), "y": np.arange(5)})
    batches = list(ds.batch(2))
    assert len(batches) == 3 == len(ds.batch(2))
    np.testing.assert_array_equal(batches[0]["x"], [[0, 1], [2, 3]])
    np.testing.assert_array_equal(batches[-1]["y"], [4])
    assert len(list(ds.batch(2, drop_remainder=True))) == 2 == len(ds.batch(2, drop_remainder=True))


def test_shuffle_is_a_seeded_permutation_that_changes_per_epoch():
    ds = Dataset.from_tensor_slices(np.arange(100)).shuffle(100, seed=3)
    first, second = [int(v) for v in ds], [int(v) for v in ds]
    assert sorted(first) == list(range(100)) and first != list(range(100)) and first != second
    again = Dataset.from_tensor_slices(np.arange(100)).shuffle(100, seed=3)
    assert [int(v) for v in again] == first
    small = [int(v) for v in Dataset.from_tensor_slices(np.arange(50)).shuffle(4, seed=0)]
    assert sorted(small) == list(range(50))


def test_map_repeat_take_prefetch():
    ds = Dataset.from_tensor_slices((np.arange(3), np.arange(3) * 2)).map(lambda a, b: a + b)
    assert [int(v) for v in ds.repeat(2)] == [0, 3, 6, 0, 3, 6]
    assert [int(v) for v in ds.repeat().take(4)] == [0, 3, 6, 0]
    assert [int(v) for v in ds.prefetch(1)] == [0, 3, 6]


def test_prefetch_reraises_errors_from_the_pipeline():
    def boom(x):
        raise RuntimeError("bad element")
    with pytest.raises(RuntimeError, match="bad element"):
        list(Dataset.from_tensor_slices(np.arange(3)).map(boom).prefetch())


def test_mismatched_slices_are_refused():
    with pytest.raises(ValueError, match="same first dimension"):
        Dataset.from_tensor_slices((np.zeros(3), np.zeros(4)))


def test_loaders_read_files_and_refuse_bad_ones(tmp_path):
    np.savez(tmp_path / "a.npz", x=np.arange(3))
    np.testing.assert_array_equal(load_npz(tmp_path / "a.npz")["x"], np.arange(3))
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DataFileError):
        load_npz(tmp_path / "bad.npz")
    (tmp_path / "t.csv").write_text("f1,f2,label\n1,2,0\n3,4,1\n")
    x, y = load_csv(tmp_path / "t.csv", skip_header=True)
    np.testing.assert_array_equal(x, [[1, 2], [3, 4]]) and np.testing.assert_array_equal(y, [0, 1])
    images = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    header = bytes([0, 0, 0x08, 3]) + b"".join(d.to_bytes(4, "big") for d in images.shape)
    with gzip.open(tmp_path / "img-idx3-ubyte.gz", "wb") as f:
        f.write(header + images.tobytes())
    np.testing.assert_array_equal(load_idx(tmp_path / "img-idx3-ubyte.gz"), images)
    (tmp_path / "short-idx").write_bytes(header + images.tobytes()[:-1])
    with pytest.raises(DataFileError, match="expected 24 data bytes"):
        load_idx(tmp_path / "short-idx")
