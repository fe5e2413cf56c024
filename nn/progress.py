"""The per-epoch progress display of fit: a rich progress bar (verbose=1), one line per
epoch (verbose=2), or nothing (verbose=0)."""
from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column

__all__ = ["EpochProgress", "format_logs"]


def format_logs(logs: dict) -> str:
    """loss: 0.1234 - accuracy: 0.9876 (the learning rate is in History, not on screen)."""
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items() if k != "learning_rate")


class EpochProgress:
    """Use as a context manager for one epoch; call `advance(samples, logs)` per batch."""

    def __init__(self, epoch: int, epochs: int, steps: int | None, verbose: int,
                 console: Console | None = None):
        self.title = f"Epoch {epoch + 1}/{epochs}"
        self.steps, self.verbose = steps, verbose
        self.console = console or Console()
        self.samples, self.logs = 0, {}
        self._progress = None

    def __enter__(self) -> "EpochProgress":
        self.start = time.perf_counter()
        if self.verbose == 1:
            metrics = TextColumn("{task.fields[metrics]}",   # wraps on narrow terminals
                                 table_column=Column(ratio=1, overflow="fold", no_wrap=False))
            self._progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(bar_width=20),
                                      MofNCompleteColumn(), TimeElapsedColumn(), metrics,
                                      console=self.console, transient=False)
            self._progress.start()
            self._task = self._progress.add_task(self.title, total=self.steps, metrics="")
        return self

    @property
    def samples_per_second(self) -> float:
        return self.samples / max(time.perf_counter() - self.start, 1e-9)

    def _text(self) -> str:
        text = format_logs(self.logs)
        return f"{text} - {self.samples_per_second:,.0f} samples/s" if text else ""

    def advance(self, samples: int, logs: dict) -> None:
        self.samples += samples
        self.logs = logs
        if self._progress is not None:
            self._progress.update(self._task, advance=1, metrics=self._text())

    def finish(self, logs: dict) -> None:
        """Show the epoch's final logs (training and validation)."""
        self.logs = logs
        if self._progress is not None:
            self._progress.update(self._task, metrics=self._text())
        elif self.verbose == 2:
            seconds = time.perf_counter() - self.start
            self.console.print(f"{self.title} - {seconds:.2f}s - {self._text()}",
                               highlight=False)

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.stop()
        return False
