"""Every benchmark runs end to end on tiny sizes, with its own checks of the results, and
prints its table. Speed is measured by running them by hand (see each module's docstring),
never here."""
import importlib

import pytest

from benchmarks import timing

# benchmark module -> arguments that make it small; compile_time (fresh processes),
# vecmath (fixed 10M elements) and gpu (a GPU) are left to manual runs
CASES = {
    "dispatch": ["--calls", "20", "--repeats", "2"],
    "elementwise": ["--n", "5000", "--repeats", "2"],
    "mlp_step": ["--batches", "8", "--repeats", "2"],
    "grad_eager": ["--batch", "8", "--repeats", "2"],
    "per_example_grads": ["--batch", "8", "--repeats", "2"],
    "nn_train_step": ["--batch", "8", "--repeats", "2", "--backend", "numpy"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_benchmark_runs_and_prints_its_table(name, capsys, monkeypatch):
    monkeypatch.setattr(timing.time, "sleep", lambda seconds: None)   # no rests between series
    importlib.import_module(f"benchmarks.{name}").main(CASES[name])
    out = capsys.readouterr().out
    assert "numpy" in out.lower() and any(c.isdigit() for c in out), out
