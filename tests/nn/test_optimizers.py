import numpy as np
import pytest

from nn import optimizers as O
from nn import schedules as S
from tracer import tree_leaves

from .helpers import BACKEND

rng = np.random.default_rng(0)


def _run(opt, params, grads_seq):
    state = opt.init(params)
    for g in grads_seq:
        params, state = opt.update(g, state, params)
    return params, state


def _grads(n=3, shape=(3,)):
    return [{"w": rng.normal(size=shape)} for _ in range(n)]


def test_sgd_momentum_and_nesterov_match_hand_computation():
    p0 = {"w": np.array([1.0, -2.0, 0.5])}
    gs = _grads()
    p, _ = _run(O.SGD(0.1), p0, gs)
    np.testing.assert_allclose(p["w"], p0["w"] - 0.1 * sum(g["w"] for g in gs))
    for nesterov in (False, True):
        w, v = p0["w"].copy(), np.zeros(3)
        for g in gs:                     # Keras' formulation
            v = 0.9 * v - 0.1 * g["w"]
            w = w + (0.9 * v - 0.1 * g["w"] if nesterov else v)
        p, _ = _run(O.SGD(0.1, momentum=0.9, nesterov=nesterov), p0, gs)
        np.testing.assert_allclose(p["w"], w, rtol=1e-12)


def test_adam_and_adamw_match_reference():
    p0 = {"w": np.array([1.0, -2.0, 0.5]), "b": np.array([0.3])}
    gs = [{"w": rng.normal(size=3), "b": rng.normal(size=1)} for _ in range(4)]
    for decay in (0.0, 0.1):
        expected = {}
        for k in p0:
            w, m, v = p0[k].copy(), 0.0, 0.0
            for t, g in enumerate(gs, 1):
                m = 0.9 * m + 0.1 * g[k]
                v = 0.999 * v + 0.001 * g[k] ** 2
                step = (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-7)
                w = w - 0.01 * (step + decay * w)
            expected[k] = w
        opt = O.AdamW(0.01, weight_decay=decay) if decay else O.Adam(0.01)
        p, state = _run(opt, p0, gs)
        for k in p0:
            np.testing.assert_allclose(p[k], expected[k], rtol=1e-6)
        assert int(state["step"]) == 4


def test_rmsprop_and_adagrad_match_reference():
    p0 = {"w": np.array([1.0, -2.0])}
    gs = _grads(3, (2,))
    w, nu = p0["w"].copy(), np.zeros(2)
    for g in gs:
        nu = 0.9 * nu + 0.1 * g["w"] ** 2
        w = w - 0.01 * g["w"] / (np.sqrt(nu) + 1e-7)
    np.testing.assert_allclose(_run(O.RMSprop(0.01), p0, gs)[0]["w"], w, rtol=1e-10)
    w, acc = p0["w"].copy(), np.full(2, 0.1)
    for g in gs:
        acc = acc + g["w"] ** 2
        w = w - 0.01 * g["w"] / (np.sqrt(acc) + 1e-7)
    np.testing.assert_allclose(_run(O.Adagrad(0.01), p0, gs)[0]["w"], w, rtol=1e-10)
    # centered and with momentum: still decreases a quadratic
    p = {"w": np.array([3.0])}
    opt = O.RMSprop(0.05, momentum=0.5, centered=True)
    state = opt.init(p)
    for _ in range(50):
        p, state = opt.update({"w": 2 * p["w"]}, state, p)
    assert abs(p["w"][0]) < 0.5


def test_global_norm_clipping_and_per_array_clipping():
    p0 = {"a": np.zeros(2), "b": np.zeros(1)}
    g = {"a": np.array([3.0, 0.0]), "b": np.array([4.0])}         # global norm 5
    p, _ = _run(O.SGD(1.0, global_clipnorm=1.0), p0, [g])
    np.testing.assert_allclose(p["a"], [-0.6, 0.0])
    np.testing.assert_allclose(p["b"], [-0.8])
    p, _ = _run(O.SGD(1.0, clipnorm=1.0), p0, [g])
    np.testing.assert_allclose(p["a"], [-1.0, 0.0])
    np.testing.assert_allclose(p["b"], [-1.0])
    p, _ = _run(O.SGD(1.0, global_clipnorm=10.0), p0, [g])       # under the limit: unchanged
    np.testing.assert_allclose(p["a"], [-3.0, 0.0])
    with pytest.raises(ValueError):
        O.SGD(clipnorm=1.0, global_clipnorm=1.0)


def test_functional_core_chain_and_apply_updates():
    tx = O.chain(O.clip_by_global_norm(1.0), O.scale_by_adam())
    params = {"w": np.array([1.0, 2.0])}
    state = tx.init(params)
    updates, state = tx.update({"w": np.array([10.0, 0.0])}, state, params)
    np.testing.assert_allclose(updates["w"], [1.0, 0.0], rtol=1e-5)   # first Adam step: sign
    np.testing.assert_allclose(O.apply_updates(params, updates)["w"], [2.0, 2.0], rtol=1e-5)
    assert float(O.global_norm({"a": np.array([3.0]), "b": np.array([[4.0]])})) == 5.0


def test_schedules():
    e = S.ExponentialDecay(1.0, 10, 0.5)
    assert float(e(np.int32(10))) == pytest.approx(0.5)
    assert float(e(np.int32(5))) == pytest.approx(0.5 ** 0.5)
    assert float(S.ExponentialDecay(1.0, 10, 0.5, staircase=True)(np.int32(15))) == pytest.approx(0.5)
    c = S.CosineDecay(2.0, 100, alpha=0.1)
    assert float(c(np.int32(0))) == pytest.approx(2.0)
    assert float(c(np.int32(50))) == pytest.approx(2.0 * (0.9 * 0.5 + 0.1))
    assert float(c(np.int32(500))) == pytest.approx(0.2)
    pw = S.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [float(pw(np.int32(s))) for s in (0, 10, 11, 20, 21)] == pytest.approx([1, 1, 0.5, 0.5, 0.1])
    with pytest.raises(ValueError):
        S.PiecewiseConstantDecay([1], [1.0])


def test_schedule_drives_the_optimizer_step_by_step():
    opt = O.SGD(S.PiecewiseConstantDecay([1], [1.0, 0.1]))
    p = {"w": np.array([0.0])}
    state = opt.init(p)
    for _ in range(3):
        p, state = opt.update({"w": np.array([1.0])}, state, p)
    np.testing.assert_allclose(p["w"], [-2.1])      # steps 0 and 1 at rate 1.0, step 2 at 0.1


def test_update_under_jit_matches_eager_and_keeps_dtypes():
    from transforms import jit
    params = {"w": rng.normal(size=(3, 2)).astype(np.float32), "b": np.zeros(2, np.float32)}
    grads = {"w": rng.normal(size=(3, 2)).astype(np.float32), "b": np.ones(2, np.float32)}
    for opt in [O.Adam(1e-2, global_clipnorm=1.0), O.SGD(0.1, momentum=0.9, nesterov=True),
                O.RMSprop(), O.Adagrad(), O.AdamW(schedule := S.CosineDecay(0.1, 10))]:
        state = opt.init(params)
        eager = opt.update(grads, state, params)
        jitted = jit(opt.update, backend=BACKEND)(grads, state, params)
        for a, b in zip(tree_leaves(eager), tree_leaves(jitted)):
            np.testing.assert_allclose(a, b, rtol=1e-6)
        assert all(leaf.dtype == np.float32 for leaf in tree_leaves(eager[0]))
    assert schedule.decay_steps == 10


def test_optimizer_config_round_trip_and_get():
    opt = O.Adam(S.ExponentialDecay(0.1, 5, 0.9), beta_1=0.8, global_clipnorm=2.0)
    again = O.Adam.from_config(opt.get_config())
    assert again.beta_1 == 0.8 and again.global_clipnorm == 2.0
    assert isinstance(again.learning_rate, S.ExponentialDecay) and again.learning_rate.decay_rate == 0.9
    assert isinstance(O.get("adamw"), O.AdamW)
    with pytest.raises(ValueError, match="unknown optimizer"):
        O.get("nope")
