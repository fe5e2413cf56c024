"""vmap of every primitive on every shared case: random batch sizes, a random batch axis
per operand (None and negative ones included) and a random output axis; the result must be
the per-example results stacked and moved to that axis (values, shape and dtype), both
eagerly on arrays and re-recorded through an outer trace."""
import functools
import zlib

import numpy as np
import pytest

from tests.cases import all_cases, cases_for
from tracer import REGISTRY, eval_graph, make_graph
from transforms.batching import BATCH_RULES, vmap

CASES = all_cases()
# where each case sits in its primitive's list of cases (what `cases_for` returns)
_POSITION = [sum(c.prim == case.prim for c in CASES[:i]) for i, case in enumerate(CASES)]


@functools.lru_cache(maxsize=None)
def _resampled(prim, seed):
    return cases_for(prim, seed=seed)


def test_every_primitive_has_a_batch_rule():
    missing = sorted(set(REGISTRY) - set(BATCH_RULES))
    assert not missing, f"primitives without a vmap batch rule: {missing}"


def _examples(case, position, size, rng):
    """`size` examples of each operand of `case`: the same layout sampled with other seeds
    (so each stays in its primitive's domain); fixed index arrays are permuted instead."""
    resampled = [_resampled(case.prim, s)[position] for s in range(1, size)]
    assert all(c.label == case.label for c in resampled)
    per_operand = []
    for k, arg in enumerate(case.args):
        others = [c.args[k] for c in resampled]
        if isinstance(arg, np.ndarray) and all(o is arg or np.array_equal(o, arg) for o in others):
            flat = arg.reshape(-1)
            others = [flat[rng.permutation(flat.size)].reshape(arg.shape) for _ in others]
        per_operand.append([arg] + others)
    return per_operand


def _batched_call(case, position):
    """(f, batched args, in_axes, out_axes, axis size, expected output)."""
    rng = np.random.default_rng([zlib.crc32(case.label.encode()), position])
    size = int(rng.integers(1, 5))
    prim = REGISTRY[case.prim]

    def f(*args):
        return prim.bind(*args, **case.params)

    args, in_axes = [], []
    for arg, examples in zip(case.args, _examples(case, position, size, rng)):
        if isinstance(arg, (bool, int, float)) or rng.random() < 0.25:
            args.append(arg)    # a Python scalar (weakly typed) cannot carry a batch axis
            in_axes.append(None)
            continue
        ndim = np.ndim(arg) + 1
        axis = int(rng.integers(-ndim, ndim))
        args.append(np.stack([np.asarray(e) for e in examples], axis=axis))
        in_axes.append(axis)

    def example(i):
        outs = f(*[a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, in_axes)])
        return outs if prim.multiple_results else [outs]
    per_example = [example(i) for i in range(size)]
    wants = [np.stack([np.asarray(outs[k]) for outs in per_example])
             for k in range(len(per_example[0]))]
    out_axis = int(rng.integers(-min(w.ndim for w in wants), min(w.ndim for w in wants)))
    return f, args, tuple(in_axes), out_axis, size, [np.moveaxis(w, 0, out_axis) for w in wants]


def _assert_same(got, want, what):
    assert isinstance(got, np.ndarray), what
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != {want.dtype}"
    rtol = 1e-5 if want.dtype in (np.float32, np.complex64) else 1e-12
    np.testing.assert_allclose(got, want, rtol=rtol, atol=0, equal_nan=True, err_msg=what)


@pytest.mark.parametrize("index", range(len(CASES)), ids=lambda i: CASES[i].label)
def test_vmap_matches_stacked_examples(index):
    f, args, in_axes, out_axis, size, want = _batched_call(CASES[index], _POSITION[index])
    # without axis_size when some operand is batched: the size comes from the operands
    given = size if all(a is None for a in in_axes) else None
    batched = vmap(f, in_axes=in_axes, out_axes=out_axis, axis_size=given)
    where = f"in_axes={in_axes} out_axes={out_axis} size={size}"
    eager = batched(*args)
    traced = eval_graph(make_graph(batched)(*args), list(args))
    eager = eager if REGISTRY[CASES[index].prim].multiple_results else [eager]
    assert len(eager) == len(traced) == len(want)
    for got_eager, got_traced, w in zip(eager, traced, want):
        _assert_same(got_eager, w, f"eager, {where}")
        _assert_same(np.asarray(got_traced), w, f"traced, {where}")
