"""Saving and loading models without pickle.

A saved file is a zip archive in the .npz layout: every array is a `.npy` member
(params/<layer>/<name>.npy, state/<layer>/<name>.npy, optimizer/<index>.npy, and the
training random key rng/train.npy) and the
architecture, compile settings and format version are JSON in the member `numbaflow.json`.
`np.load(path)` can read the arrays too. Loading reads arrays with `allow_pickle=False` and
builds layers only from the classes registered in nn.layers, so a file never runs code;
a truncated, corrupted, tampered or foreign file raises SavedModelError."""
from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile

import numpy as np

from tracer import NumbaflowError, tree_flatten, tree_unflatten

from . import losses as _losses
from . import metrics as _metrics
from . import optimizers as _optimizers
from .layers.base import layer_from_config

__all__ = ["SavedModelError", "save_model", "load_model", "save_weights", "load_weights"]

FORMAT, VERSION, META = "numbaflow", 1, "numbaflow.json"


class SavedModelError(NumbaflowError, ValueError):
    """A model or weights file that is truncated, corrupted, tampered with, or not one."""


def _flatten_paths(tree, prefix: str) -> dict[str, np.ndarray]:
    out = {}
    for key, value in tree.items():
        path = f"{prefix}/{key}"
        if isinstance(value, dict):
            out.update(_flatten_paths(value, path))
        else:
            out[path] = np.asarray(value)
    return out


def _write(path, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write the archive to a temporary file, then move it into place (never half-written)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(META, json.dumps(meta, indent=1))
            for name, array in arrays.items():
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
                zf.writestr(name + ".npy", buffer.getvalue())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _read(path) -> tuple[dict, dict[str, np.ndarray]]:
    """(metadata, arrays by path) of a saved file, or SavedModelError."""
    where = os.fspath(path)
    try:
        with zipfile.ZipFile(where) as zf:
            names = zf.namelist()
            if META not in names:
                raise SavedModelError(f"{where} is not a numbaflow model file (it has no {META})")
            meta = json.loads(zf.read(META).decode("utf-8"))    # zf.read checks each CRC
            arrays = {}
            for name in names:
                if name != META:
                    if not name.endswith(".npy"):
                        raise SavedModelError(f"{where}: unexpected member {name!r}")
                    arrays[name[:-4]] = np.lib.format.read_array(io.BytesIO(zf.read(name)),
                                                                 allow_pickle=False)
    except (FileNotFoundError, SavedModelError):
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            UnicodeDecodeError, NotImplementedError) as e:
        raise SavedModelError(f"{where} is not a readable numbaflow model file (truncated, "
                              f"corrupted or another format): {e}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise SavedModelError(f"{where}: {META} does not describe a numbaflow file")
    if meta.get("version") != VERSION:
        raise SavedModelError(f"{where}: format version {meta.get('version')!r} is not supported "
                              f"(this numbaflow reads version {VERSION})")
    return meta, arrays


def _meta(model, kind: str) -> dict:
    meta = {"format": FORMAT, "version": VERSION, "kind": kind,
            "model": {"class_name": type(model).__name__, "config": model.get_config()}}
    if kind == "model" and model.loss is not None:
        meta["compile"] = _compile_config(model)
    return meta


def _named(obj) -> dict:
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


def _compile_config(model) -> dict | None:
    """The compile settings, or None when they cannot be saved (a custom loss function)."""
    if not isinstance(model.loss, _losses.Loss):
        return None
    return {"optimizer": _named(model.optimizer), "loss": _named(model.loss),
            "metrics": [_named(m) for m in model.metrics], "jit_compile": model.jit_compile}


def _variables_arrays(model) -> dict[str, np.ndarray]:
    model._require_built("save")
    return {**_flatten_paths(model.variables["params"], "params"),
            **_flatten_paths(model.variables["state"], "state")}


def save_model(model, path) -> None:
    arrays = _variables_arrays(model)
    meta = _meta(model, "model")
    if meta.get("compile") and model.optimizer_state is not None:
        for i, leaf in enumerate(tree_flatten(model.optimizer_state)[0]):
            arrays[f"optimizer/{i:05d}"] = np.asarray(leaf)
    if model._train_rng is not None:     # so that training resumes exactly
        arrays["rng/train"] = np.asarray(model._train_rng)
    _write(path, meta, arrays)


def save_weights(model, path) -> None:
    _write(path, _meta(model, "weights"), _variables_arrays(model))


def _assign(model, arrays: dict, where: str) -> None:
    """Put the saved params and state into the built model, checking names and shapes."""
    expected = _variables_arrays(model)
    saved = {k: v for k, v in arrays.items() if k.startswith(("params/", "state/"))}
    missing, extra = sorted(set(expected) - set(saved)), sorted(set(saved) - set(expected))
    if missing or extra:
        raise SavedModelError(f"{where}: the arrays do not match the model's weights "
                              f"(missing: {missing}, unexpected: {extra})")
    for name, old in expected.items():
        new = saved[name]
        if new.shape != old.shape or new.dtype != old.dtype:
            raise SavedModelError(f"{where}: {name} is {new.dtype}{list(new.shape)} but the model "
                                  f"needs {old.dtype}{list(old.shape)}")
    model.variables = {"params": _unflatten_paths(model.variables["params"], saved, "params"),
                       "state": _unflatten_paths(model.variables["state"], saved, "state")}
    model._steps.clear()


def _unflatten_paths(template: dict, arrays: dict, prefix: str) -> dict:
    return {k: _unflatten_paths(v, arrays, f"{prefix}/{k}") if isinstance(v, dict)
            else arrays[f"{prefix}/{k}"] for k, v in template.items()}


def _build_from_meta(model, meta: dict, where: str) -> None:
    shape = meta.get("model", {}).get("config", {}).get("input_shape")
    if shape is None:
        raise SavedModelError(f"{where}: the file does not record the input shape; build the "
                              "model first (model.build(input_shape))")
    model.build(shape)


def _model_from_meta(meta: dict, where: str):
    from .model import Model
    try:
        model = layer_from_config(meta.get("model"))
    except (ValueError, TypeError, KeyError) as e:
        raise SavedModelError(f"{where}: cannot rebuild the architecture: {e}") from None
    if not isinstance(model, Model):
        raise SavedModelError(f"{where}: the saved object is a {type(model).__name__}, not a model")
    return model


def _restore_compile(model, config: dict, arrays: dict, where: str, backend) -> None:
    try:
        optimizer = _from_named(config["optimizer"], _optimizers.CLASSES, "optimizer")
        loss = _from_named(config["loss"], _losses.CLASSES, "loss")
        metrics = [_from_named(m, _metrics.CLASSES, "metric") for m in config["metrics"]]
    except (ValueError, TypeError, KeyError) as e:
        raise SavedModelError(f"{where}: cannot restore the compile settings: {e}") from None
    model.compile(optimizer, loss, metrics, jit_compile=bool(config.get("jit_compile", True)),
                  backend=backend)
    saved = [arrays[k] for k in sorted(k for k in arrays if k.startswith("optimizer/"))]
    if not saved:
        return
    fresh, treedef = tree_flatten(optimizer.init(model.variables["params"]))
    if len(saved) != len(fresh) or any(np.shape(a) != np.shape(b) for a, b in zip(saved, fresh)):
        raise SavedModelError(f"{where}: the saved optimizer state does not fit the optimizer")
    model.optimizer_state = tree_unflatten(treedef, saved)


def _from_named(spec: dict, classes: dict, what: str):
    cls = classes.get(spec.get("class_name"))
    if cls is None:
        raise ValueError(f"unknown {what} {spec.get('class_name')!r}")
    config = spec.get("config", {})
    return cls.from_config(config) if hasattr(cls, "from_config") else cls(**config)


def load_model(path, backend: str | None = None):
    """The model saved with `model.save(path)`: architecture, weights, and (when it was
    compiled with built-in loss and metrics) the compile settings and optimizer state.
    `backend`: the jit backend its steps compile with (None: jit's default)."""
    where = os.fspath(path)
    meta, arrays = _read(path)
    if meta.get("kind") != "model":
        raise SavedModelError(f"{where} holds weights only; build the model and call load_weights")
    model = _model_from_meta(meta, where)
    if not model.built:
        _build_from_meta(model, meta, where)
    _assign(model, arrays, where)
    if meta.get("compile"):
        _restore_compile(model, meta["compile"], arrays, where, backend)
    rng = arrays.get("rng/train")
    if rng is not None:
        if rng.shape != (2,) or rng.dtype != np.uint32:
            raise SavedModelError(f"{where}: rng/train is not a random key")
        model._train_rng = rng
    return model


def load_weights(model, path) -> None:
    """Load weights saved by save_weights or save into `model` (same architecture)."""
    where = os.fspath(path)
    meta, arrays = _read(path)
    if not model.built:
        _build_from_meta(model, meta, where)
    _assign(model, arrays, where)
