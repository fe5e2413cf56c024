"""Numba helpers the generated programs call. Arrays are flat 1-D buffers with an element
offset; an op working along one axis sees its operand as (pre, n, post): the axis in the
middle, the axes before and after it flattened. Helpers are compiled once per argument
types and process (and cached on disk), so they cost a generated program nothing to
compile: what is expensive to compile (reshape, np.dot, sorting) lives here.

Indices are cast to unsigned before use: Numba wraps negative indices around, and that
check on a signed index stops LLVM from vectorising a loop (5x slower measured)."""
from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "BLOCK", "nf_max", "nf_min",
    "sum_block", "int_sum_block", "prod_block", "max_block", "min_block", "any_block",
    "all_block", "strided_copy", "flat_copy", "fill", "take3", "scatter3", "argsort3", "argmax3", "argmin3",
    "cumsum3", "cumprod3", "cummax3", "cummin3", "matmul_cc", "matmul_cf", "matmul_fc",
    "matmul_ff", "int_matmul", "threefry2x32",
]

_U = np.uint64


@njit(inline="always")
def nf_max(a, b):
    """np.maximum on scalars: a NaN in either operand wins."""
    return a if (a > b or a != a) else b


@njit(inline="always")
def nf_min(a, b):
    return a if (a < b or a != a) else b


# --- block combiners: fold tmp[0:m] into acc ------------------------------------------------
# A float sum loop does not vectorise without reassociation, so a running sum over a block
# is scalar. A full block (BLOCK values) is summed as a pairwise tree in float64 instead:
# its halves are added onto each other, each fold an element-wise loop that vectorises
# (2.3x faster than eight scalar accumulators, measured), in an order fixed here, not by
# the compiler. A partial block uses eight float64 accumulators (eight additions in flight)
# summed like a small pairwise tree. Either way the result keeps NumPy's accuracy.

BLOCK = 256      # values per block: the generated loops' buffer (float32: 1 KiB, in L1)


@njit(cache=True)
def sum_block(tmp, m, acc, half):
    """acc + sum(tmp[:m]); `half` is a float64 scratch of BLOCK // 2."""
    if m == BLOCK:
        n = BLOCK // 2
        for j in range(n):
            half[j] = np.float64(tmp[j]) + np.float64(tmp[j + n])
        while n > 8:
            n //= 2
            for j in range(n):
                half[j] += half[j + n]
        return acc + (((half[0] + half[1]) + (half[2] + half[3]))
                      + ((half[4] + half[5]) + (half[6] + half[7])))
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    j = 0
    while j + 8 <= m:
        s0 += tmp[j]
        s1 += tmp[j + 1]
        s2 += tmp[j + 2]
        s3 += tmp[j + 3]
        s4 += tmp[j + 4]
        s5 += tmp[j + 5]
        s6 += tmp[j + 6]
        s7 += tmp[j + 7]
        j += 8
    s = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    while j < m:
        s += tmp[j]
        j += 1
    return acc + s


@njit(cache=True)
def int_sum_block(tmp, m, acc):
    """Integer sums are exact in any order, so this loop vectorises as it is."""
    for j in range(m):
        acc += tmp[j]
    return acc


@njit(cache=True)
def prod_block(tmp, m, acc):
    for j in range(m):
        acc *= tmp[j]
    return acc


@njit(cache=True)
def max_block(tmp, m, acc):
    for j in range(m):
        acc = nf_max(tmp[j], acc)
    return acc


@njit(cache=True)
def min_block(tmp, m, acc):
    for j in range(m):
        acc = nf_min(tmp[j], acc)
    return acc


@njit(cache=True)
def any_block(tmp, m, acc):
    for j in range(m):
        acc = acc or tmp[j]
    return acc


@njit(cache=True)
def all_block(tmp, m, acc):
    for j in range(m):
        acc = acc and tmp[j]
    return acc


# --- copies -------------------------------------------------------------------------------

@njit(cache=True)
def strided_copy(src, so, dst, do, dims, at, r):
    """dst[do + sum(i*ds)] = src[so + sum(i*ss)] over every index i of a shape, casting to
    dst's dtype: materialises views, pads, concatenates. dims[at:at+r] is the shape (r >= 1),
    dims[at+r:at+2r] src's strides, dims[at+2r:at+3r] dst's: one compiled version per pair
    of dtypes, whatever the rank. The last axis is an inner loop (vectorised when both of
    its strides are 1); the others advance like an odometer."""
    n_rows = 1
    for k in range(r - 1):
        n_rows *= dims[at + k]
    inner = dims[at + r - 1]
    if n_rows == 0 or inner == 0:
        return
    s_in, d_in = dims[at + 2 * r - 1], dims[at + 3 * r - 1]
    idx = np.zeros(r, np.int64)
    si, di = so, do
    for _ in range(n_rows):
        if s_in == 1 and d_in == 1:
            for j in range(inner):
                dst[_U(di + j)] = src[_U(si + j)]
        else:
            for j in range(inner):
                dst[_U(di + j * d_in)] = src[_U(si + j * s_in)]
        k = r - 2
        while k >= 0:      # odometer step over the outer axes
            idx[k] += 1
            si += dims[at + r + k]
            di += dims[at + 2 * r + k]
            if idx[k] < dims[at + k]:
                break
            si -= dims[at + r + k] * dims[at + k]
            di -= dims[at + 2 * r + k] * dims[at + k]
            idx[k] = 0
            k -= 1


@njit(cache=True)
def flat_copy(src, so, dst, do, n):
    """dst[do:do+n] = src[so:so+n] (a loop: Numba's slice assignment is slow to compile)."""
    for k in range(n):
        dst[_U(do + k)] = src[_U(so + k)]


@njit(cache=True)
def fill(dst, do, n, value):
    for k in range(n):
        dst[_U(do + k)] = value


# --- gathers and scatters along the middle axis ---------------------------------------------

@njit(cache=True)
def take3(x, xo, pre, n, post, idx, io, nidx, out):
    """out[p, j, q] = x[p, idx[j], q]."""
    for p in range(pre):
        for j in range(nidx):
            src = xo + (p * n + np.int64(idx[_U(io + j)])) * post
            dst = (p * nidx + j) * post
            for q in range(post):
                out[_U(dst + q)] = x[_U(src + q)]


@njit(cache=True)
def scatter3(out, pre, n, post, idx, io, nidx, upd, uo, mode):
    """out[p, idx[j], q] (op)= upd[p, j, q] in order, so duplicates accumulate like
    np.add.at and the last write wins for "set". mode: 0 set, 1 add, 2 mul, 3 min, 4 max."""
    for p in range(pre):
        for j in range(nidx):
            dst = (p * n + np.int64(idx[_U(io + j)])) * post
            src = uo + (p * nidx + j) * post
            for q in range(post):
                u = upd[_U(src + q)]
                o = out[_U(dst + q)]
                if mode == 0:
                    o = u
                elif mode == 1:
                    o = o + u
                elif mode == 2:
                    o = o * u
                elif mode == 3:
                    o = nf_min(o, u)
                else:
                    o = nf_max(o, u)
                out[_U(dst + q)] = o


# --- along-axis loops -----------------------------------------------------------------------

@njit(inline="always")
def _before(a, b):
    """NumPy's sort order: NaNs last."""
    return a < b or (b != b and a == a)


@njit(cache=True)
def argsort3(x, xo, pre, n, post, out):
    """Stable argsort along the middle axis: a bottom-up merge sort of indices (NaNs last,
    like NumPy; written out because Numba's np.argsort takes seconds to compile)."""
    row = np.empty(n, x.dtype)
    idx = np.empty(n, np.int64)
    tmp = np.empty(n, np.int64)
    for p in range(pre):
        for q in range(post):
            for j in range(n):
                row[j] = x[_U(xo + (p * n + j) * post + q)]
                idx[j] = j
            width = 1
            while width < n:
                for lo in range(0, n, 2 * width):
                    mid, hi = min(lo + width, n), min(lo + 2 * width, n)
                    a, b = lo, mid
                    for k in range(lo, hi):   # take the right run's head only if strictly first
                        if b < hi and (a >= mid or _before(row[idx[b]], row[idx[a]])):
                            tmp[k] = idx[b]
                            b += 1
                        else:
                            tmp[k] = idx[a]
                            a += 1
                idx, tmp = tmp, idx
                width *= 2
            for j in range(n):
                out[_U((p * n + j) * post + q)] = idx[j]


@njit(inline="always")
def _arg_extreme(x, xo, pre, n, post, out, largest):
    """First index of the maximum (largest) or minimum along the middle axis; the first NaN
    wins (np.argmax, np.argmin)."""
    for p in range(pre):
        for q in range(post):
            base = xo + p * n * post + q
            best = x[_U(base)]
            at = 0
            for j in range(1, n):
                v = x[_U(base + j * post)]
                if best == best and ((v > best if largest else v < best) or v != v):
                    best, at = v, j
            out[_U(p * post + q)] = at


@njit(cache=True)
def argmax3(x, xo, pre, n, post, out):
    _arg_extreme(x, xo, pre, n, post, out, True)


@njit(cache=True)
def argmin3(x, xo, pre, n, post, out):
    _arg_extreme(x, xo, pre, n, post, out, False)


# Scans accumulate sequentially in the output dtype, as NumPy's ufunc.accumulate does (out
# has that dtype, so `out[prev] + v` is computed in it); the inner loop runs along `post`.

@njit(cache=True)
def cumsum3(x, xo, pre, n, post, out):
    for p in range(pre):
        for j in range(n):
            row = (p * n + j) * post
            for q in range(post):
                v = x[_U(xo + row + q)]
                out[_U(row + q)] = v if j == 0 else out[_U(row - post + q)] + v


@njit(cache=True)
def cumprod3(x, xo, pre, n, post, out):
    for p in range(pre):
        for j in range(n):
            row = (p * n + j) * post
            for q in range(post):
                v = x[_U(xo + row + q)]
                out[_U(row + q)] = v if j == 0 else out[_U(row - post + q)] * v


@njit(cache=True)
def cummax3(x, xo, pre, n, post, out):
    for p in range(pre):
        for j in range(n):
            row = (p * n + j) * post
            for q in range(post):
                v = x[_U(xo + row + q)]
                out[_U(row + q)] = v if j == 0 else nf_max(out[_U(row - post + q)], v)


@njit(cache=True)
def cummin3(x, xo, pre, n, post, out):
    for p in range(pre):
        for j in range(n):
            row = (p * n + j) * post
            for q in range(post):
                v = x[_U(xo + row + q)]
                out[_U(row + q)] = v if j == 0 else nf_min(out[_U(row - post + q)], v)


# --- contractions ---------------------------------------------------------------------------

# matmul_XY: out[oo + i*m*n:] = A[i] @ B[i] for i < nb through BLAS (np.dot). A[i] is the
# (m, k) matrix at a[ao + i*m*k:], C-ordered when X is "c", F-ordered (a transposed view,
# no copy) when "f"; the same for B (k, n) and Y. One function per layout pair, so only
# the pairs a program uses get compiled. BLAS leaves the output alone when k == 0.

@njit(inline="always")
def _matrix(a, start, rows, cols, transposed):
    if transposed:
        return a[start:start + rows * cols].reshape((cols, rows)).T
    return a[start:start + rows * cols].reshape((rows, cols))


def _make_matmul(at, bt):
    def matmul(a, ao, b, bo, out, oo, nb, m, n, k):
        for i in range(nb):
            o = out[oo + i * m * n:oo + (i + 1) * m * n].reshape((m, n))
            if k == 0:
                o[:] = 0
            else:
                np.dot(_matrix(a, ao + i * m * k, m, k, at),
                       _matrix(b, bo + i * k * n, k, n, bt), o)
    return njit(cache=True)(matmul)


matmul_cc = _make_matmul(False, False)
matmul_cf = _make_matmul(False, True)
matmul_fc = _make_matmul(True, False)
matmul_ff = _make_matmul(True, True)


@njit(cache=True)
def int_matmul(a, ao, b, bo, out, oo, nb, m, n, k):
    """The integer and boolean contraction BLAS does not type: C-ordered operands already
    in the output dtype, so products wrap like NumPy's."""
    for i in range(nb):
        for r in range(m):
            row = oo + (i * m + r) * n
            for c in range(n):
                out[_U(row + c)] = 0
            for j in range(k):
                v = a[_U(ao + (i * m + r) * k + j)]
                base = bo + (i * k + j) * n
                for c in range(n):
                    out[_U(row + c)] += v * b[_U(base + c)]


# --- random bits ----------------------------------------------------------------------------
_M32 = np.uint64(0xFFFFFFFF)
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


@njit(inline="always")
def _rotl(x, r):
    return ((x << np.uint64(r)) | (x >> np.uint64(32 - r))) & _M32


@njit(cache=True)
def threefry2x32(key, ko, count, co, out, n):
    """Threefry-2x32 (20 rounds) of tracer/ops/random.py on n (key, count) pairs stored as
    (n, 2) uint32 rows; arithmetic in uint64 masked to 32 bits (Numba widens uint32)."""
    for j in range(n):
        k0 = np.uint64(key[_U(ko + 2 * j)])
        k1 = np.uint64(key[_U(ko + 2 * j + 1)])
        k2 = k0 ^ k1 ^ np.uint64(0x1BD11BDA)
        x0 = (np.uint64(count[_U(co + 2 * j)]) + k0) & _M32
        x1 = (np.uint64(count[_U(co + 2 * j + 1)]) + k1) & _M32
        for block in range(5):
            for r in range(4):
                x0 = (x0 + x1) & _M32
                x1 = _rotl(x1, _ROTATIONS[block % 2][r]) ^ x0
            ka = k0 if (block + 1) % 3 == 0 else (k1 if (block + 1) % 3 == 1 else k2)
            kb = k0 if (block + 2) % 3 == 0 else (k1 if (block + 2) % 3 == 1 else k2)
            x0 = (x0 + ka) & _M32
            x1 = (x1 + kb + np.uint64(block + 1)) & _M32
        out[_U(2 * j)] = np.uint32(x0)
        out[_U(2 * j + 1)] = np.uint32(x1)
