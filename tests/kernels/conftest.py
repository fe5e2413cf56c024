"""Shared fixtures of the kernel tests: one Numba cache directory per test session, so the
cpu backend's programs compile once per session and never touch the user's cache."""
from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def cpu_cache_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("numbaflow_cache")
    old = os.environ.get("NUMBAFLOW_CACHE_DIR")
    os.environ["NUMBAFLOW_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("NUMBAFLOW_CACHE_DIR", None)
    else:
        os.environ["NUMBAFLOW_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def cpu(cpu_cache_dir):
    """The cpu backend, compiling into the session's cache directory."""
    import kernels.cpu
    return kernels.cpu.BACKEND
