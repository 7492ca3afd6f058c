"""Server-side batching for the local server (the counterpart of `--enable_batching`).

Concurrent requests for the same version and signature, whose inputs have the same dtypes
and the same shape past dimension 0, are concatenated along dimension 0, run as one model call,
and the outputs split back. Unlike TF Serving's batch_timeout_micros, no request waits for a
batch to fill: an idle model runs a request at once, and the requests that arrive while
`max_concurrent_batches` batches are running form the next batch (up to `max_batch_size`
examples). A single client therefore pays nothing, and many clients share model calls.
As in TF Serving, an error while running a batch fails every request in it.
"""

from __future__ import annotations

import dataclasses
import threading

import numpy as np

from serving import errors
from serving.registry import Servable


@dataclasses.dataclass(eq=False)
class _Task:
    inputs: dict[str, np.ndarray]
    size: int
    done: bool = False
    outputs: dict[str, np.ndarray] | None = None
    error: BaseException | None = None


class Batcher:
    """Runs signatures, merging the requests that queue up while the model is busy.

    Args:
      max_batch_size: most examples in one model call (TF Serving's max_batch_size).
      max_concurrent_batches: batches of one version and signature that may run at once
        (TF Serving's num_batch_threads, per queue).
    """

    def __init__(self, max_batch_size: int = 64, max_concurrent_batches: int = 1):
        if max_batch_size < 1 or max_concurrent_batches < 1:
            raise ValueError(f"max_batch_size {max_batch_size} and max_concurrent_batches "
                             f"{max_concurrent_batches} must be >= 1")
        self.max_batch_size = max_batch_size
        self.max_concurrent_batches = max_concurrent_batches
        self._condition = threading.Condition()
        self._pending: dict[tuple, list[_Task]] = {}
        self._running: dict[tuple, int] = {}

    def run(self, servable: Servable, signature_name: str,
            inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Like `servable.run`, possibly sharing the model call with concurrent requests."""
        sizes = {value.shape[0] if value.ndim else None for value in inputs.values()}
        if len(sizes) != 1 or None in sizes or next(iter(sizes)) >= self.max_batch_size:
            return servable.run(signature_name, inputs)  # not batchable, or a batch already
        key = (id(servable), signature_name, tuple(sorted(
            (name, value.dtype.str, value.shape[1:]) for name, value in inputs.items())))
        task = _Task(inputs, sizes.pop())
        with self._condition:
            self._pending.setdefault(key, []).append(task)
            while not task.done:
                if self._running.get(key, 0) < self.max_concurrent_batches:
                    batch = self._take(key)
                    self._running[key] = self._running.get(key, 0) + 1
                    self._condition.release()
                    try:
                        self._execute(servable, signature_name, batch)
                    finally:
                        self._condition.acquire()
                        self._running[key] -= 1
                        if not self._running[key]:
                            del self._running[key]
                        self._condition.notify_all()
                else:
                    self._condition.wait()
        if isinstance(task.error, errors.ServingError):  # a copy per request thread
            raise errors.from_code(task.error.code, task.error.message)
        if task.error is not None:
            raise errors.ServingError(f"batched model call failed: {task.error!r}",
                                      code="INTERNAL") from task.error
        return task.outputs

    def _take(self, key: tuple) -> list[_Task]:
        queue, batch, total = self._pending[key], [], 0
        while queue and (not batch or total + queue[0].size <= self.max_batch_size):
            total += queue[0].size
            batch.append(queue.pop(0))
        if not queue:
            del self._pending[key]
        return batch

    @staticmethod
    def _execute(servable: Servable, signature_name: str, batch: list[_Task]) -> None:
        try:
            if len(batch) == 1:
                batch[0].outputs = servable.run(signature_name, batch[0].inputs)
            else:
                merged = {name: np.concatenate([task.inputs[name] for task in batch])
                          for name in batch[0].inputs}
                outputs = servable.run(signature_name, merged)
                total = sum(task.size for task in batch)
                offset = 0
                for task in batch:
                    task.outputs = {}
                    for name, value in outputs.items():
                        if np.ndim(value) == 0 or np.shape(value)[0] != total:
                            raise errors.ServingError(
                                f"Batched output {name} has shape {list(np.shape(value))}; "
                                f"expected {total} rows, one per batched example",
                                code="INTERNAL")
                        task.outputs[name] = value[offset:offset + task.size]
                    offset += task.size
        except Exception as error:  # handed to every request of the batch
            for task in batch:
                task.error = error
        for task in batch:
            task.done = True
