"""Accuracy, special values, dtype and vectorisation tests for kernels.vecmath.

Each function runs inside a small @njit loop (as generated code uses it) over
a sweep of its whole range: random bit patterns (all exponents), log-spaced
magnitudes down to subnormals, dense linspaces over the interesting range,
and special values.  References: NumPy/SciPy evaluated in float64 for float32
results, in long double (or mpmath, for erf) for float64 results.  The ulp
bounds asserted are parsed from the module docstring.
"""
import re

import numpy as np
import pytest
import scipy.special as sc
from numba import njit, prange

from kernels import vecmath as vm

NAMES = ["exp", "log", "log1p", "expm1", "tanh", "sigmoid", "erf"]
DTYPES = [np.float32, np.float64]
NUMPY_REF = {"exp": np.exp, "log": np.log, "log1p": np.log1p, "expm1": np.expm1,
             "tanh": np.tanh, "sigmoid": sc.expit, "erf": sc.erf}
# (float64 range, float32 range) where the result is neither saturated nor trivial
RANGES = {
    "exp": ((-746, 710), (-104, 89)),
    "log": ((0, 4), (0, 4)),
    "log1p": ((-1, 4), (-1, 4)),
    "expm1": ((-40, 710), (-18, 89)),
    "tanh": ((-20, 20), (-10, 10)),
    "sigmoid": ((-746, 40), (-104, 20)),
    "erf": ((-6, 6), (-4, 4)),
}
CORE = (-2, 2)  # extra dense sweep where most functions change fastest
LD = np.longdouble


def _bounds():
    """{(name, dtype): ulps} from the table in the module docstring."""
    rows = re.findall(r"^ +(\w+) +(\d\.\d+) +(\d\.\d+) ", vm.__doc__, re.M)
    table = {}
    for name, b64, b32 in rows:
        table[name, np.float64] = float(b64)
        table[name, np.float32] = float(b32)
    return table


BOUNDS = _bounds()

_LOOPS = {}


def run(name, x):
    """Apply vm_<name> elementwise in an @njit loop, as generated code does."""
    if name not in _LOOPS:
        f = getattr(vm, "vm_" + name)

        @njit
        def loop(x):
            out = np.empty_like(x)
            for i in range(x.size):
                out[i] = f(x[i])
            return out
        _LOOPS[name] = loop
    return _LOOPS[name](x)


def sweep(name, dtype, n=100_000):
    rng = np.random.default_rng(12345)
    fi = np.finfo(dtype)
    ity = np.int64 if dtype == np.float64 else np.int32
    bits = rng.integers(np.iinfo(ity).min, np.iinfo(ity).max, n, dtype=ity)
    bits = bits.view(dtype)
    # |x| log-uniform over all exponents, subnormals included
    mags = np.exp2(rng.uniform(fi.minexp - fi.nmant, fi.maxexp - 0.01, n)).astype(dtype)
    lo, hi = RANGES[name][dtype == np.float32]
    x = np.concatenate([bits, mags, -mags,
                        np.linspace(lo, hi, 2 * n, dtype=dtype),
                        rng.uniform(lo, hi, n).astype(dtype),
                        np.linspace(*CORE, n, dtype=dtype)])
    return x[np.isfinite(x)]


def reference(name, x):
    """High-precision reference values (long double for float64 inputs)."""
    with np.errstate(all="ignore"):
        if x.dtype == np.float32:
            return NUMPY_REF[name](x.astype(np.float64)).astype(LD)
        if name != "erf":
            return NUMPY_REF[name](x.astype(LD))
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 30
    ref = np.empty(x.size, LD)
    for i, v in enumerate(x.tolist()):
        e = mp.erf(v)
        hi = float(e)
        ref[i] = LD(hi) + LD(float(e - hi))
    return ref


def ulp_errors(y, ref, dtype):
    """|y - ref| in ulps of dtype at ref; ref values that round to +-inf in
    dtype only accept +-inf or +-max (overflow threshold within an ulp)."""
    fi = np.finfo(dtype)
    with np.errstate(all="ignore"):
        rounded = ref.astype(dtype)
        err = np.zeros(y.size)
        over = np.isinf(rounded) & np.isfinite(ref)
        ok_over = (np.isinf(y) | (np.abs(y) == fi.max)) & (np.sign(y) == np.sign(ref))
        err[over] = np.where(ok_over[over], 0.0, np.inf)
        fin = np.isfinite(rounded)
        _, e = np.frexp(ref[fin])
        ulp = np.ldexp(LD(1), np.maximum(e.astype(np.int64) - 1, fi.minexp) - fi.nmant)
        ulp = np.where(ref[fin] == 0, LD(fi.smallest_subnormal), ulp)
        err[fin] = np.abs(y[fin].astype(LD) - ref[fin]) / ulp
        err[~fin & ~over] = np.where(
            (y == rounded) | (np.isnan(y) & np.isnan(rounded)), 0.0, np.inf)[~fin & ~over]
    return err


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", NAMES)
def test_max_ulp_error(name, dtype):
    if dtype == np.float64 and np.finfo(LD).nmant < 63:
        pytest.skip("needs an extended-precision long double for the reference")
    x = sweep(name, dtype)
    if name == "erf" and dtype == np.float64:   # mpmath is slow: subsample
        keep = np.abs(x) < 7
        x = np.concatenate([x[keep][::60], np.linspace(0.8, 1.3, 2000)])
    y = run(name, x)
    err = ulp_errors(y, reference(name, x), dtype)
    worst = int(np.argmax(err))
    bound = BOUNDS[name, dtype]
    assert err[worst] <= bound, (
        f"{name}({x[worst]!r}) = {y[worst]!r}: {err[worst]:.3f} ulp > {bound}")
    assert err.max() > 0.2 * bound, "bound in the docstring is far too loose"


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", NAMES)
def test_special_values_match_numpy(name, dtype):
    fi = np.finfo(dtype)
    x = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 2.0, -2.0,
                  fi.smallest_subnormal, -fi.smallest_subnormal, fi.smallest_normal,
                  -fi.smallest_normal, fi.max, -fi.max, -1.5, 1e30, -1e30], dtype=dtype)
    y = run(name, x)
    with np.errstate(all="ignore"):
        ref = NUMPY_REF[name](x)
    exact = ~np.isfinite(x) | (x == 0) | ~np.isfinite(ref) | (ref == 0) | (np.abs(ref) == 1)
    np.testing.assert_array_equal(np.isnan(y), np.isnan(ref))
    same_bits = (y == ref) & (np.signbit(y) == np.signbit(ref)) | np.isnan(ref)
    assert same_bits[exact].all(), list(zip(x[exact & ~same_bits], y[exact & ~same_bits]))
    assert (ulp_errors(y, ref.astype(LD), dtype)[~exact] <= 4).all()


def test_edges_from_spec():
    f64 = np.float64
    with np.errstate(all="ignore"):
        cases = [  # (name, input, expected)
            ("exp", -np.inf, 0.0), ("exp", np.inf, np.inf), ("exp", 710.0, np.inf),
            ("exp", -746.0, 0.0), ("log", 0.0, -np.inf), ("log", -1.0, np.nan),
            ("log", np.inf, np.inf), ("tanh", np.inf, 1.0), ("tanh", -np.inf, -1.0),
            ("sigmoid", -np.inf, 0.0), ("sigmoid", np.inf, 1.0), ("erf", np.inf, 1.0),
            ("erf", -np.inf, -1.0), ("log1p", -1.0, -np.inf), ("log1p", -2.0, np.nan),
            ("expm1", -np.inf, -1.0), ("expm1", np.inf, np.inf)]
        for dtype in DTYPES:
            for name, xv, expected in cases:
                y = run(name, np.array([xv], dtype=dtype))[0]
                np.testing.assert_equal(y, dtype(expected), err_msg=f"{name}({xv})")
    # gradual underflow like NumPy, and logs of subnormals
    for dtype, xs in ((f64, [-740.0, -745.0, -708.5]),
                      (np.float32, [-100.0, -103.0, -88.0])):
        x = np.array(xs, dtype=dtype)
        y = run("exp", x)
        assert (y > 0).all() and (y < np.finfo(dtype).smallest_normal).any()
        assert (ulp_errors(y, np.exp(x.astype(LD if dtype == f64 else f64)).astype(LD),
                           dtype) <= 1).all()
        sub = np.finfo(dtype).smallest_subnormal * np.array([1, 3, 1000], dtype=dtype)
        np.testing.assert_allclose(run("log", sub), np.log(sub), rtol=np.finfo(dtype).eps)


@pytest.mark.parametrize("name", NAMES)
def test_vectorised_and_dtype_preserving(name):
    run(name, np.ones(4, np.float32))
    run(name, np.ones(4))
    loop = _LOOPS[name]
    for sig in loop.signatures:
        ir = loop.inspect_llvm(sig)
        fty = "float" if sig[0].dtype.bitwidth == 32 else "double"
        assert re.search(rf"fmul[^\n]*<\d+ x {fty}>", ir), f"{name}{sig}: no vector fmul"
        if fty == "float":  # no promotion to float64 anywhere on the float32 path
            assert not re.search(r"\bdouble\b", ir), f"{name}{sig}: float64 op"
    for suffix, dtype in (("f32", np.float32), ("f64", np.float64)):
        sigs = getattr(vm, f"{name}_{suffix}").nopython_signatures
        assert {np.dtype(str(s.return_type)) for s in sigs} == {np.dtype(dtype)}


def test_parallel_prange_and_python_calls():
    @njit(parallel=True)
    def ptanh(x):
        out = np.empty_like(x)
        for i in prange(x.size):
            out[i] = vm.vm_tanh(x[i])
        return out
    x = np.linspace(-30, 30, 10_001, dtype=np.float32)
    np.testing.assert_array_equal(ptanh(x), run("tanh", x))
    assert vm.vm_exp(1.0) == run("exp", np.array([1.0]))[0]
    assert vm.vm_exp(np.float32(1.0)) == run("exp", np.array([1.0], np.float32))[0]
