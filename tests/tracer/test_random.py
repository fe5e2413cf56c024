import numpy as np
import pytest
import scipy.stats

from tracer import eval_graph, make_graph
from tracer import random
from tracer.ops.random import threefry2x32


@pytest.mark.parametrize("key,count,expected", [
    ((0, 0), (0, 0), (0x6B200159, 0x99BA4EFE)),
    ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
    ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0)),
])
def test_threefry_known_answers_from_random123(key, count, expected):
    out = threefry2x32.bind(np.array(key, np.uint32), np.array(count, np.uint32))
    assert tuple(int(v) for v in out) == expected


def test_same_key_same_numbers_eager_and_traced():
    k = random.key(42)
    for draw in (lambda k: random.uniform(k, (5,)), lambda k: random.normal(k, (2, 3), np.float32),
                 lambda k: random.bernoulli(k, 0.3, (7,)), lambda k: random.randint(k, (4,), 0, 9)):
        eager = draw(k)
        (traced,) = eval_graph(make_graph(draw)(k), [k])
        np.testing.assert_array_equal(eager, traced)
        assert eager.dtype == traced.dtype
        np.testing.assert_array_equal(draw(k), eager)


def test_split_and_fold_in_give_different_streams():
    k = random.key(0)
    k1, k2 = random.split(k)
    streams = [random.uniform(x, (1000,)) for x in (k, k1, k2, random.fold_in(k, 1),
                                                    random.fold_in(k, 2))]
    for i in range(len(streams)):
        for j in range(i + 1, len(streams)):
            assert abs(np.corrcoef(streams[i], streams[j])[0, 1]) < 0.1
            assert not np.array_equal(streams[i], streams[j])
    assert random.split(k, 5).shape == (5, 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uniform_and_normal_distributions(dtype):
    k1, k2 = random.split(random.key(7))
    u = random.uniform(k1, (10**6,), dtype)
    n = random.normal(k2, (10**6,), dtype)
    assert u.dtype == dtype and n.dtype == dtype
    assert 0 <= u.min() and u.max() < 1
    assert abs(u.mean() - 0.5) < 3e-3 and abs(u.var() - 1 / 12) < 1e-3
    assert abs(n.mean()) < 5e-3 and abs(n.var() - 1) < 5e-3
    assert scipy.stats.kstest(u, "uniform").pvalue > 1e-3
    assert scipy.stats.kstest(n, "norm").pvalue > 1e-3


def test_uniform_range_categorical_permutation_truncated_normal():
    k = random.key(3)
    u = random.uniform(k, (1000,), minval=-2.0, maxval=5.0)
    assert -2 <= u.min() and u.max() < 5
    probs = np.array([0.1, 0.2, 0.7])
    draws = random.categorical(k, np.log(probs), shape=(20000,))
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / 20000, probs, atol=0.02)
    p = random.permutation(k, 10)
    assert sorted(p.tolist()) == list(range(10))
    x = np.arange(10) * 10
    assert sorted(random.permutation(k, x).tolist()) == x.tolist()
    t = random.truncated_normal(k, -1.0, 2.0, (20000,))
    assert -1 <= t.min() and t.max() <= 2
    assert scipy.stats.kstest(t, scipy.stats.truncnorm(-1, 2).cdf).pvalue > 1e-3


def test_bad_key_is_refused():
    with pytest.raises(TypeError, match="random.key"):
        random.uniform(np.array([1, 2]), (3,))
