import json
import os
import zipfile

import numpy as np
import pytest

import nn
from nn.saving import META, SavedModelError
from tracer import tree_leaves

from .helpers import BACKEND, digits_split

(X_TRAIN, Y_TRAIN), (X_TEST, Y_TEST) = digits_split()


def trained_model():
    model = nn.Sequential([nn.Reshape((8, 8, 1)), nn.Conv2D(4, 3, padding="same", activation="relu"),
                           nn.MaxPool2D(2), nn.Flatten(), nn.BatchNormalization(), nn.Dropout(0.1),
                           nn.Dense(10)])
    model.compile(nn.optimizers.Adam(nn.schedules.ExponentialDecay(1e-2, 10, 0.9), global_clipnorm=5.0),
                  nn.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy", nn.metrics.SparseTopKCategoricalAccuracy(k=2)], backend=BACKEND)
    model.fit(X_TRAIN[:128], Y_TRAIN[:128], epochs=1, batch_size=64, verbose=0)
    return model


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    model = trained_model()
    path = tmp_path_factory.mktemp("models") / "digits.nbf"
    model.save(path)
    return model, path


def test_save_load_gives_identical_predictions_and_compile_settings(saved):
    model, path = saved
    loaded = nn.load_model(path, backend=BACKEND)
    np.testing.assert_array_equal(loaded.predict(X_TEST[:50]), model.predict(X_TEST[:50]))
    assert loaded.layer_names() == model.layer_names()
    assert isinstance(loaded.optimizer, nn.optimizers.Adam) and loaded.optimizer.global_clipnorm == 5.0
    assert isinstance(loaded.optimizer.learning_rate, nn.schedules.ExponentialDecay)
    assert [m.name for m in loaded.metrics] == ["accuracy", "top_k_accuracy"]
    assert int(loaded.optimizer_state["step"]) == 2
    for a, b in zip(tree_leaves(loaded.optimizer_state), tree_leaves(model.optimizer_state)):
        np.testing.assert_array_equal(a, b)
    # training continues from the restored state, identically to the original
    h1 = loaded.fit(X_TRAIN[128:256], Y_TRAIN[128:256], epochs=1, batch_size=64, shuffle=False, verbose=0)
    h2 = model.fit(X_TRAIN[128:256], Y_TRAIN[128:256], epochs=1, batch_size=64, shuffle=False, verbose=0)
    assert h1.history["loss"] == pytest.approx(h2.history["loss"], rel=1e-6)


def test_the_file_is_an_npz_archive_without_pickles(saved):
    _, path = saved
    with np.load(path, allow_pickle=False) as f:
        assert "params/conv2d/kernel" in f.files and "state/batch_normalization/moving_mean" in f.files
        assert f["params/conv2d/kernel"].shape == (3, 3, 1, 4)
    with zipfile.ZipFile(path) as zf:
        meta = json.loads(zf.read(META))
    assert meta["format"] == "numbaflow" and meta["kind"] == "model"
    assert meta["model"]["config"]["layers"][1]["class_name"] == "Conv2D"


def test_save_weights_and_load_weights(tmp_path, saved):
    model, _ = saved
    model.save_weights(tmp_path / "w.nbf")
    fresh = nn.Sequential([nn.Reshape((8, 8, 1)), nn.Conv2D(4, 3, padding="same", activation="relu"),
                           nn.MaxPool2D(2), nn.Flatten(), nn.BatchNormalization(), nn.Dropout(0.1),
                           nn.Dense(10)], seed=7)
    fresh.backend = BACKEND                                  # the jit backend of its predict step
    fresh.load_weights(tmp_path / "w.nbf")                   # builds from the recorded input shape
    np.testing.assert_array_equal(fresh.predict(X_TEST[:20]), model.predict(X_TEST[:20]))
    with pytest.raises(SavedModelError, match="weights only"):
        nn.load_model(tmp_path / "w.nbf")
    other = nn.Sequential([nn.Flatten(), nn.Dense(3)], input_shape=(8, 8))
    with pytest.raises(SavedModelError, match="do not match"):
        other.load_weights(tmp_path / "w.nbf")


def test_truncated_files_fail_clearly(tmp_path, saved):
    _, path = saved
    data = path.read_bytes()
    for cut in [len(data) // 2, len(data) - 10, 30]:
        bad = tmp_path / f"cut{cut}.nbf"
        bad.write_bytes(data[:cut])
        with pytest.raises(SavedModelError, match="not a readable numbaflow model file"):
            nn.load_model(bad)


def _rewrite(src, dst, change):
    """Copy the archive, passing each member's bytes through change(name, data)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            data = change(name, zin.read(name))
            if data is not None:
                zout.writestr(name, data)


def test_tampered_files_fail_clearly_and_run_no_code(tmp_path, saved):
    _, path = saved
    data = bytearray(path.read_bytes())
    # flip bytes inside a compressed member: the CRC check fails
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("params/dense/kernel.npy")
    pos = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    data[pos] ^= 0xFF
    flipped = tmp_path / "flipped.nbf"
    flipped.write_bytes(bytes(data))
    with pytest.raises(SavedModelError):
        nn.load_model(flipped)

    def architecture(change):
        def edit(name, blob):
            if name != META:
                return blob
            meta = json.loads(blob)
            change(meta)
            return json.dumps(meta)
        return edit

    cases = {
        "unknown layer class": architecture(lambda m: m["model"]["config"]["layers"][1].update(class_name="os.system")),
        "cannot rebuild": architecture(lambda m: m["model"]["config"]["layers"][1]["config"].update(evil=1)),
        "does not describe": architecture(lambda m: m.update(format="other")),
        "version": architecture(lambda m: m.update(version=99)),
        "do not match": lambda name, blob: None if name == "params/dense/bias.npy" else blob,
        "optimizer": lambda name, blob: None if name == "optimizer/00003.npy" else blob,
    }
    for message, change in cases.items():
        bad = tmp_path / "bad.nbf"
        _rewrite(path, bad, change)
        with pytest.raises(SavedModelError, match=message):
            nn.load_model(bad)

    # an object array (which would need pickle to load) is refused, not unpickled
    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))
    import io
    buffer = io.BytesIO()
    np.save(buffer, np.array([Boom()], dtype=object), allow_pickle=True)
    bad = tmp_path / "pickled.nbf"
    _rewrite(path, bad, lambda name, blob: buffer.getvalue() if name == "params/dense/bias.npy" else blob)
    with pytest.raises(SavedModelError, match="pickle"):
        nn.load_model(bad)
    assert not (tmp_path / "pwned").exists()


def test_foreign_files_fail_clearly(tmp_path):
    junk = tmp_path / "junk.nbf"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(SavedModelError, match="not a readable"):
        nn.load_model(junk)
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.zeros(3))
    with pytest.raises(SavedModelError, match="not a numbaflow model file"):
        nn.load_model(plain)
    with pytest.raises(FileNotFoundError):
        nn.load_model(tmp_path / "missing.nbf")


def test_models_with_custom_functions_say_they_cannot_be_saved(tmp_path):
    model = nn.Sequential([nn.Dense(2, activation=lambda x: x * 2)], input_shape=(3,))
    with pytest.raises(ValueError, match="cannot be saved"):
        model.save(tmp_path / "m.nbf")
    assert not list(tmp_path.iterdir())          # nothing half-written
