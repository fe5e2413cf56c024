"""The on-disk cache of generated programs.

Each program's source is written to `<cache dir>/nf_<hash>.py`, named by the hash of its
content and written atomically (temp file, then link or os.replace), imported as a real
module (registered in sys.modules BEFORE running it: a cache entry saved otherwise fails
every later load) and compiled by Numba with cache=True, whose entries sit in
`__pycache__` beside it, so another process loads the machine code instead of compiling.

Nothing in the cache is trusted: a source file whose content does not match its name is
rewritten, and a Numba index or data file that fails to load is deleted and recompiled.
Two processes writing the same entry at once both succeed (all writes are atomic and
carry the same content). In-process, `load` keeps the dispatcher per hash, so compiling a
graph of the same structure again costs only the code generation."""
from __future__ import annotations

import os
import sys
import tempfile
import threading
import types
from pathlib import Path

__all__ = ["cache_dir", "load", "module_path", "clear_memory", "LOADED"]

LOADED: dict = {}        # source hash -> Numba dispatcher
_lock = threading.Lock()


def cache_dir() -> Path:
    """$NUMBAFLOW_CACHE_DIR, else $XDG_CACHE_HOME/numbaflow, else ~/.cache/numbaflow."""
    env = os.environ.get("NUMBAFLOW_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "numbaflow"


def module_path(key: str) -> tuple[str, Path]:
    name = f"nf_{key[:32]}"
    return name, cache_dir() / f"{name}.py"


def clear_memory() -> None:
    """Forget the loaded programs of this process (tests use it to force a reload)."""
    with _lock:
        for key in list(LOADED):
            sys.modules.pop(module_path(key)[0], None)
        LOADED.clear()


def load(source: str, key: str):
    """The Numba dispatcher of `program` in this source, from memory, disk or compiled."""
    hit = LOADED.get(key)
    if hit is not None:
        return hit
    with _lock:
        hit = LOADED.get(key)
        if hit is None:
            name, path = module_path(key)
            _write(path, source)
            hit = LOADED[key] = _import(name, path, source).program
            _harden(hit)
    return hit


def _write(path: Path, source: str) -> None:
    data = source.encode()
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)       # create, never overwrite: the file's time stays put
        except FileExistsError:
            os.replace(tmp, path)    # it exists with other content: corrupt, replace it
        except OSError:
            os.replace(tmp, path)    # no hard links on this file system
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _import(name: str, path: Path, source: str) -> types.ModuleType:
    """Run the source as module `name` (compiled from the text we hold, so a stale or
    corrupt .pyc can never be read). The function's code points at `path`, which is what
    Numba's cache locator looks for."""
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    try:
        exec(compile(source, str(path), "exec"), module.__dict__)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _purge(cache) -> None:
    """Delete this function's Numba index, so the next save starts a fresh one."""
    try:
        os.unlink(cache._cache_file._index_path)
    except OSError:
        pass


def _harden(dispatcher) -> None:
    """Make a failing cache load a miss (and a failing save a no-op), never an error."""
    cache = getattr(dispatcher, "_cache", None)
    if cache is None or getattr(cache, "_numbaflow_hardened", False):
        return
    load_overload, save_overload = cache.load_overload, cache.save_overload

    def safe_load(sig, target_context):
        try:
            return load_overload(sig, target_context)
        except Exception:
            _purge(cache)
            return None

    def safe_save(sig, data):
        try:
            save_overload(sig, data)
        except Exception:
            _purge(cache)
            try:
                save_overload(sig, data)
            except Exception:
                pass   # an unwritable cache costs a recompile next time, nothing else

    cache.load_overload, cache.save_overload = safe_load, safe_save
    cache._numbaflow_hardened = True
