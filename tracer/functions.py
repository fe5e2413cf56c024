"""Numerical helpers that are not NumPy functions: logsumexp, softmax, log_softmax,
sigmoid. Written with NumPy calls, so they work on arrays and Tracers alike."""
from __future__ import annotations

import numpy as np
import scipy.special

__all__ = ["logsumexp", "softmax", "log_softmax", "sigmoid"]


def _shifted(x, axis):
    """x minus its (finite) maximum along `axis`, and that maximum (keepdims)."""
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    return x - m, m


def logsumexp(x, axis=None, keepdims: bool = False):
    """log(sum(exp(x))) along `axis`, stable for large |x|.

    >>> float(logsumexp(np.array([1000.0, 1000.0])))
    1000.6931471805599
    """
    shifted, m = _shifted(x, axis)
    out = np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis`, stable for large |x|."""
    e = np.exp(_shifted(x, axis)[0])
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    shifted, _ = _shifted(x, axis)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def sigmoid(x):
    """The logistic function 1 / (1 + exp(-x)) (scipy.special.expit)."""
    return scipy.special.expit(x)
