"""fit, evaluate and predict with backend="cuda": during fit the weights, optimizer state
and rng key stay on the device from step to step, come back as NumPy arrays at the end of
each epoch, and every number equals the numpy backend's.

Runs under the Numba CUDA simulator unless NUMBA_ENABLE_CUDASIM=0 is set (then on a GPU),
like tests/kernels/test_cuda_*.py; skipped when numba-cuda is not installed. The last test
(the host backends make no device copies) runs everywhere."""
from __future__ import annotations

import pytest

from kernels.cuda.testing import cuda_test_mode, short_thread_switches

# first, as in the kernel tests: the simulator is chosen when numba.cuda is first imported
MODE = cuda_test_mode()
needs_cuda = pytest.mark.skipif(MODE.startswith("unavailable"), reason=MODE)
# the simulator runs Dropout's random bits on NumPy uint32 scalars, which warn on the
# wraparound the generator relies on
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")

import numpy as np  # noqa: E402

import nn  # noqa: E402
import nn.training  # noqa: E402
from kernels.cuda import transfer  # noqa: E402
from kernels.cuda.program import is_device_array  # noqa: E402
from tracer import tree_leaves  # noqa: E402

_rng = np.random.default_rng(0)
X = _rng.normal(size=(8, 3)).astype(np.float32)
Y = _rng.integers(0, 2, 8)
X_VAL = _rng.normal(size=(4, 3)).astype(np.float32)
Y_VAL = _rng.integers(0, 2, 4)
EPOCHS, STEPS = 2, 2                     # 8 examples in batches of 4


def _model(backend: str) -> nn.Sequential:
    # Dropout makes the step use its rng key, so the key's trip to the device is tested too
    model = nn.Sequential([nn.Dense(4, activation="tanh"), nn.Dropout(0.25), nn.Dense(2)],
                          input_shape=(3,), seed=0)
    model.compile(nn.optimizers.Adam(0.05), "sparse_categorical_crossentropy",
                  metrics=["accuracy"], backend=backend)
    return model


class _StepSpy:
    """Wraps a model's compiled train step, keeping each call's inputs and outputs."""

    def __init__(self, step):
        self.step, self.calls = step, []

    def __call__(self, *args):
        out = self.step(*args)
        self.calls.append((args, out))
        return out


def _fit(backend: str):
    """A model trained for EPOCHS epochs with validation, a learning rate that halves each
    epoch, and a callback noting the types of the weights it sees at each epoch's end."""
    model = _model(backend)
    spy = _StepSpy(nn.training.compiled_step(model, "train"))
    model._steps["train"] = spy
    seen = []
    callbacks = [nn.callbacks.LearningRateScheduler(lambda epoch, rate: rate * 0.5),
                 nn.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(
                     {type(w) for w in model.get_weights() + tree_leaves(model.variables)}))]
    history = model.fit(X, Y, batch_size=4, epochs=EPOCHS, verbose=0, callbacks=callbacks,
                        validation_data=(X_VAL, Y_VAL))
    return model, history, spy, seen


@pytest.fixture(scope="module")
def trained():
    """(cuda model, its history, step spy, callback types, uploads), the numpy model and
    history. `uploads`: the leaves of each host->device transfer of a pytree during fit."""
    uploads = []

    def counting(tree):
        uploads.append(tree_leaves(tree))
        return to_device(tree)
    to_device = transfer.to_device
    with short_thread_switches(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(transfer, "to_device", counting)
        cuda_model, cuda_history, spy, seen = _fit("cuda")
    reference, ref_history, _, _ = _fit("numpy")
    return cuda_model, cuda_history, spy, seen, uploads, reference, ref_history


def _assert_trees_close(got, want):
    got, want = tree_leaves(got), tree_leaves(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert type(g) is np.ndarray and g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


@needs_cuda
def test_fit_on_cuda_matches_numpy_and_leaves_host_arrays(trained):
    model, history, _, seen, _, reference, ref_history = trained
    assert history.history.keys() == ref_history.history.keys()
    for name, values in ref_history.history.items():
        assert history.history[name] == pytest.approx(values, rel=1e-5), name
    assert history.history["learning_rate"] == pytest.approx([0.025, 0.0125])
    _assert_trees_close(model.variables, reference.variables)
    _assert_trees_close(model.optimizer_state, reference.optimizer_state)
    _assert_trees_close(model._train_rng, reference._train_rng)
    assert int(model.optimizer_state["inner"][0]["count"]) == EPOCHS * STEPS
    assert seen == [{np.ndarray}] * EPOCHS          # on_epoch_end saw host weights


@needs_cuda
def test_the_step_gets_device_arrays_that_stay_on_the_device(trained):
    model, _, spy, _, uploads, _, _ = trained
    assert len(spy.calls) == EPOCHS * STEPS
    for args, _ in spy.calls:      # params, state, optimizer state, rng key: all on the device
        leaves = tree_leaves(args[:4])
        assert leaves and all(is_device_array(leaf) for leaf in leaves)
    for k, ((_, out), (args, _)) in enumerate(zip(spy.calls, spy.calls[1:])):
        # each step's new weights are the next step's inputs, the very same device arrays;
        # only the learning rate the scheduler sets between epochs is new
        out, args = ([t[0], t[1], dict(t[2]), t[3]] for t in (out, args))
        if k % STEPS == STEPS - 1:
            assert out[2].pop("learning_rate") is not args[2].pop("learning_rate")
        assert all(a is b for a, b in zip(tree_leaves(out), tree_leaves(args)))
    # one upload of everything, then only the learning rate the scheduler set for epoch 2
    n_leaves = len(tree_leaves((model.variables, model.optimizer_state, model._train_rng)))
    assert [len(leaves) for leaves in uploads] == [n_leaves, 1]
    rate = uploads[1][0]
    assert rate.shape == () and rate.dtype == np.float64 and float(rate) == pytest.approx(0.0125)
    assert model._steps["train"].step.cache_info().compilations == 1


@needs_cuda
def test_evaluate_and_predict_return_numpy_values(trained):
    model, _, _, _, _, reference, _ = trained
    with short_thread_switches():
        got = model.evaluate(X, Y, batch_size=4, return_dict=True)
        predicted = model.predict(X, batch_size=4)
    want = reference.evaluate(X, Y, batch_size=4, return_dict=True)
    assert got.keys() == want.keys() and all(type(v) is float for v in got.values())
    assert got == pytest.approx(want, rel=1e-5)
    assert type(predicted) is np.ndarray and predicted.shape == (8, 2)
    np.testing.assert_allclose(predicted, reference.predict(X, batch_size=4), rtol=1e-5, atol=1e-6)


@needs_cuda
def test_save_and_load_round_trip_after_fit_on_cuda(trained, tmp_path):
    model = trained[0]
    path = tmp_path / "cuda_model.nbf"
    model.save(path)
    loaded = nn.load_model(path, backend="cuda")
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(tree_leaves(loaded.optimizer_state), tree_leaves(model.optimizer_state)):
        np.testing.assert_array_equal(a, b)
    with short_thread_switches():
        np.testing.assert_array_equal(loaded.predict(X_VAL), model.predict(X_VAL))


@needs_cuda
def test_backend_moves_pytrees_keeping_shapes_dtypes_and_python_scalars():
    """What fit relies on: the cuda backend's device_put / device_get of whole pytrees."""
    from kernels.cuda import BACKEND
    tree = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "count": np.zeros((), np.int32),
            "scale": np.float64(0.5), "n": 3, "none": None}
    on_device = BACKEND.device_put(tree)
    assert all(is_device_array(on_device[k]) for k in ("w", "count", "scale"))
    assert on_device["n"] == 3 and on_device["none"] is None     # weak scalars stay Python
    assert BACKEND.device_put(on_device)["w"] is on_device["w"]    # no second copy
    back = BACKEND.device_get(on_device)
    for k in ("w", "count", "scale"):
        want = np.asarray(tree[k])
        assert type(back[k]) is np.ndarray and back[k].shape == want.shape
        assert back[k].dtype == want.dtype and np.array_equal(back[k], want)
    assert back["n"] == 3 and back["none"] is None


def test_host_backends_make_no_device_copies(monkeypatch):
    """The numpy backend (and eager steps on any backend) train on the host arrays
    themselves: fit never makes device copies."""
    def refuse(*_):
        raise AssertionError("a host backend made device copies")
    monkeypatch.setattr(nn.training, "_DeviceCopies", refuse)
    model = _model("numpy")
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0)
    assert all(type(w) is np.ndarray for w in tree_leaves(model.variables))
    assert nn.training._device_backend(model) is None
    model.compile("sgd", "sparse_categorical_crossentropy", jit_compile=False, backend="cuda")
    assert nn.training._device_backend(model) is None
