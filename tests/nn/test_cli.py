import os
import re
import tomllib

import pytest

from nn import cli

from .helpers import BACKEND

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_console_script_is_declared():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        scripts = tomllib.load(f)["project"]["scripts"]
    assert scripts["numbaflow"] == "nn.cli:main"


def test_demo_prints_summary_progress_accuracy_epoch_time_and_step_size(capsys):
    argv = ["demo", "--epochs", "2", "--batch-size", "64"] + (["--backend", BACKEND] if BACKEND else [])
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "conv2d (Conv2D)" in out and "Total params: 8,714" in out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "samples/s" in out
    accuracy = float(re.search(r"test accuracy: ([\d.]+)%", out).group(1))
    assert accuracy > 85
    assert re.search(r"time per epoch: [\d.]+ s", out)
    ops = int(re.search(r"compiled training step: (\d+) ops", out).group(1))
    assert ops > 50


def test_demo_eager_and_bad_arguments(capsys):
    figures = cli.demo(epochs=1, batch_size=128, jit_compile=False)
    assert figures["ops"] is None and "not jit-compiled" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["demo", "--epochs", "0"])
    with pytest.raises(SystemExit):
        cli.main([])
