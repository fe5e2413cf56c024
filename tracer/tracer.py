"""The Tracer: an array-like that records NumPy calls made on it into its Builder.

Python operators, methods, `__array_ufunc__` and `__array_function__` all go through
one table of NumPy-level functions (`tracer.numpy_api`)."""
from __future__ import annotations

import numpy as np

from .errors import ConcretizationError, InplaceUpdateError

__all__ = ["Tracer"]


def _api():
    from . import numpy_api
    return numpy_api


def _binary(ufunc, reflected=False):
    def op(self, other):
        args = (other, self) if reflected else (self, other)
        return _api().call_ufunc(ufunc, args, {})
    return op


def _inplace(ufunc):
    def op(self, other):
        if self.is_view:
            raise InplaceUpdateError(f"in-place {ufunc.__name__} on a view of a traced array")
        return _api().call_ufunc(ufunc, (self, other), {})
    return op


def _unary(ufunc):
    return lambda self: _api().call_ufunc(ufunc, (self,), {})


def _method(fn):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    method.__name__ = fn.__name__
    return method


class Tracer:
    __slots__ = ("builder", "node", "value")
    __array_priority__ = 1000

    def __init__(self, builder, node, value=None):
        self.builder, self.node, self.value = builder, node, value

    # --- abstract value -------------------------------------------------------------
    @property
    def aval(self):
        return self.node.aval

    shape = property(lambda self: self.node.aval.shape)
    dtype = property(lambda self: self.node.aval.dtype)
    ndim = property(lambda self: self.node.aval.ndim)
    size = property(lambda self: self.node.aval.size)
    T = property(lambda self: np.transpose(self))
    mT = property(lambda self: np.swapaxes(self, -1, -2))

    @property
    def is_view(self) -> bool:
        """Made by an op that NumPy answers with a view (slicing, reshape, transpose)?"""
        return any(op.prim.view and self.node in op.outputs for op in reversed(self.builder.ops))

    def __repr__(self):
        return f"Tracer<{self.aval}>"

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized traced array")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d traced array")
        return (self[i] for i in range(self.shape[0]))

    # --- NumPy protocols ------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _api().array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return _api().array_function(func, args, kwargs)

    def __array__(self, dtype=None, copy=None):
        raise ConcretizationError("np.asarray()/np.array() of a traced array (a conversion to a "
                                  "NumPy array, which would drop it from the trace)", self.aval)

    # --- Python control flow: needs a concrete value ----------------------------------
    def _concrete(self, what):
        if self.value is None:
            raise ConcretizationError(what, self.aval)
        self.builder.consulted = True
        return self.value

    def __bool__(self):
        return bool(self._concrete("bool() of a traced array (e.g. `if x:` or `while x:`)"))

    def __float__(self):
        return float(self._concrete("float() of a traced array"))

    def __int__(self):
        return int(self._concrete("int() of a traced array"))

    def __complex__(self):
        return complex(self._concrete("complex() of a traced array"))

    def __index__(self):
        return int(np.asarray(self._concrete("using a traced array as an index or size")).__index__())

    def item(self, *args):
        return np.asarray(self._concrete(".item() of a traced array")).item(*args)

    def tolist(self):
        return np.asarray(self._concrete(".tolist() of a traced array")).tolist()

    __hash__ = None

    # --- indexing --------------------------------------------------------------------
    def __getitem__(self, index):
        return _api().getitem(self, index)

    def __setitem__(self, index, value):
        raise InplaceUpdateError("x[...] = value on a traced array")

    # --- operators --------------------------------------------------------------------
    __add__, __radd__ = _binary(np.add), _binary(np.add, True)
    __sub__, __rsub__ = _binary(np.subtract), _binary(np.subtract, True)
    __mul__, __rmul__ = _binary(np.multiply), _binary(np.multiply, True)
    __truediv__, __rtruediv__ = _binary(np.true_divide), _binary(np.true_divide, True)
    __floordiv__, __rfloordiv__ = _binary(np.floor_divide), _binary(np.floor_divide, True)
    __mod__, __rmod__ = _binary(np.remainder), _binary(np.remainder, True)
    __pow__, __rpow__ = _binary(np.power), _binary(np.power, True)
    __matmul__, __rmatmul__ = _binary(np.matmul), _binary(np.matmul, True)
    __and__, __rand__ = _binary(np.bitwise_and), _binary(np.bitwise_and, True)
    __or__, __ror__ = _binary(np.bitwise_or), _binary(np.bitwise_or, True)
    __xor__, __rxor__ = _binary(np.bitwise_xor), _binary(np.bitwise_xor, True)
    __lt__, __le__ = _binary(np.less), _binary(np.less_equal)
    __gt__, __ge__ = _binary(np.greater), _binary(np.greater_equal)
    __eq__, __ne__ = _binary(np.equal), _binary(np.not_equal)
    __neg__, __pos__, __abs__ = _unary(np.negative), _unary(np.positive), _unary(np.absolute)
    __invert__ = _unary(np.invert)
    __iadd__, __isub__ = _inplace(np.add), _inplace(np.subtract)
    __imul__, __itruediv__ = _inplace(np.multiply), _inplace(np.true_divide)
    __ifloordiv__, __imod__ = _inplace(np.floor_divide), _inplace(np.remainder)
    __ipow__, __imatmul__ = _inplace(np.power), _inplace(np.matmul)
    __iand__, __ior__, __ixor__ = (_inplace(np.bitwise_and), _inplace(np.bitwise_or),
                                   _inplace(np.bitwise_xor))

    # --- ndarray methods: the NumPy functions of the same name ---------------------------
    def astype(self, dtype, copy=True):
        return _api().astype(self, dtype)

    def reshape(self, *shape, order="C"):
        return np.reshape(self, shape[0] if len(shape) == 1 else shape, order=order)

    def transpose(self, *axes):
        return np.transpose(self, (axes[0] if len(axes) == 1 else axes) or None)

    def flatten(self, order="C"):
        return np.ravel(self, order=order)

    def copy(self, order="C"):
        return self

    def dot(self, other):
        return np.dot(self, other)

    def sort(self, axis=-1):
        raise InplaceUpdateError("x.sort() sorts in place; use y = np.sort(x)")

    def conj(self):
        return self if self.dtype.kind != "c" else np.conjugate(self)


for _name in ("sum", "prod", "mean", "var", "std", "max", "min", "argmax", "argmin", "any",
              "all", "cumsum", "cumprod", "ravel", "squeeze", "swapaxes", "clip", "round",
              "take", "repeat", "diagonal", "trace", "argsort", "ptp", "nonzero"):
    setattr(Tracer, _name, _method(getattr(np, _name)))
