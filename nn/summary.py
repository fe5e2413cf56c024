"""Model.summary(): a rich table of layers, output shapes and parameter counts."""
from __future__ import annotations

import numpy as np
from rich.console import Console
from rich.table import Table

from tracer import tree_leaves

__all__ = ["summary_table", "print_summary"]


def _count(tree) -> int:
    return sum(int(np.size(a)) for a in tree_leaves(tree))


def summary_table(model) -> Table:
    """The summary of a built Sequential model as a rich Table."""
    if not model.built:
        raise ValueError("summary: the model is not built yet; give Sequential(..., input_shape=...), "
                         "call model.build(input_shape), or fit it first")
    params, state = model.variables["params"], model.variables["state"]
    table = Table(title=f"Model: {model.name or type(model).__name__.lower()}")
    table.add_column("Layer (type)")
    table.add_column("Output Shape")
    table.add_column("Param #", justify="right")
    for name, layer, shape in zip(model.layer_names(), model.layers, model.layer_output_shapes()):
        count = _count(params.get(name, {})) + _count(state.get(name, {}))
        table.add_row(f"{name} ({type(layer).__name__})", str((None,) + shape[1:]), f"{count:,}")
    trainable, fixed = _count(params), _count(state)
    table.caption = (f"Total params: {trainable + fixed:,}   Trainable params: {trainable:,}   "
                     f"Non-trainable params: {fixed:,}")
    return table


def print_summary(model, print_fn=None) -> None:
    """Print the table with rich, or hand its plain text to `print_fn`."""
    table = summary_table(model)
    if print_fn is None:
        Console().print(table)
        return
    console = Console(width=100)
    with console.capture() as capture:
        console.print(table)
    print_fn(capture.get())
