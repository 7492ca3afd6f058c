"""What the Trainer shows while `fit` runs: a live step bar per epoch on a terminal (tqdm),
one plain line per epoch anywhere else (CI logs, pipes, Kubeflow pods: no control codes).

The bar is drawn only when the stream is a TTY, so captured output stays greppable text.
"""

from __future__ import annotations

import sys
import time
from typing import IO

import tf_keras as keras
from tqdm import tqdm


def epoch_line(epoch: int, epochs: int, seconds: float, logs: dict[str, float]) -> str:
    metrics = "  ".join(f"{name} {value:.4f}" for name, value in sorted(logs.items()))
    return f"    epoch {epoch}/{epochs}  {seconds:.0f} s  {metrics}"


class TrainingProgress(keras.callbacks.Callback):
    """A step bar per epoch on a TTY, then one line per epoch with its metrics."""

    def __init__(self, epochs: int, stream: IO[str] | None = None):
        super().__init__()
        self._epochs = epochs
        self._stream = stream or sys.stdout
        self._tty = bool(getattr(self._stream, "isatty", lambda: False)())
        self._bar: tqdm | None = None
        self._start = 0.0
        self._steps: int | None = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.monotonic()
        if self._tty:
            self._steps = self._steps or self.params.get("steps")
            self._bar = tqdm(total=self._steps, desc=f"    epoch {epoch + 1}/{self._epochs}",
                             unit="step", file=self._stream, leave=False, dynamic_ncols=True)

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is not None:
            self._bar.update(1)
            if logs and "loss" in logs:
                self._bar.set_postfix(loss=f"{logs['loss']:.4f}", refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._steps = self._steps or self._bar.n
            self._bar.close()
            self._bar = None
        self._stream.write(epoch_line(epoch + 1, self._epochs, time.monotonic() - self._start,
                                      dict(logs or {})) + "\n")
        self._stream.flush()
