"""Server-side batching: merged calls, split outputs, shared errors (fake model, no server)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from serving import errors
from serving.batching import Batcher


class SlowDoubler:
    """Doubles `x`; each call takes 50 ms and records its batch size."""

    signatures: dict = {}

    def __init__(self, fail: bool = False):
        self.batch_sizes: list[int] = []
        self.fail = fail

    def run(self, signature_name, inputs):
        self.batch_sizes.append(len(inputs["x"]))
        time.sleep(0.05)
        if self.fail:
            raise errors.InvalidArgumentError("bad batch")
        return {"y": inputs["x"] * 2, "n": np.arange(len(inputs["x"]))}


def run_concurrently(batcher, servable, inputs_list):
    results = [None] * len(inputs_list)

    def call(index):
        try:
            results[index] = batcher.run(servable, "serving_default", inputs_list[index])
        except errors.ServingError as error:
            results[index] = error

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(inputs_list))]
    for thread in threads:
        thread.start()
        time.sleep(0.002)  # the first request starts alone, the others queue behind it
    for thread in threads:
        thread.join(timeout=10)
    return results


def test_a_lone_request_runs_at_once_as_itself():
    servable = SlowDoubler()
    start = time.monotonic()
    outputs = Batcher().run(servable, "serving_default", {"x": np.ones((2, 3), np.float32)})
    assert time.monotonic() - start < 0.5
    assert servable.batch_sizes == [2]
    np.testing.assert_array_equal(outputs["y"], np.full((2, 3), 2.0))


def test_requests_queued_behind_a_running_batch_share_one_call():
    servable = SlowDoubler()
    inputs = [{"x": np.full((1, 2), float(i), np.float32)} for i in range(10)]
    results = run_concurrently(Batcher(max_batch_size=64), servable, inputs)
    assert servable.batch_sizes[0] == 1 and sum(servable.batch_sizes) == 10
    assert len(servable.batch_sizes) <= 3  # 10 requests, far fewer model calls
    for i, outputs in enumerate(results):
        np.testing.assert_array_equal(outputs["y"], np.full((1, 2), 2.0 * i))
        assert outputs["n"].shape == (1,)


def test_batches_respect_the_size_limit_and_shapes_do_not_mix():
    servable = SlowDoubler()
    inputs = [{"x": np.zeros((2, 2), np.float32)} for _ in range(6)]
    inputs.append({"x": np.zeros((1, 5), np.float32)})  # other trailing shape: its own batch
    results = run_concurrently(Batcher(max_batch_size=4), servable, inputs)
    assert max(servable.batch_sizes) <= 4 and sum(servable.batch_sizes) == 13
    assert results[-1]["y"].shape == (1, 5)


def test_an_error_fails_every_request_of_its_batch():
    servable = SlowDoubler(fail=True)
    results = run_concurrently(Batcher(), servable,
                               [{"x": np.zeros((1,), np.float32)} for _ in range(4)])
    assert all(isinstance(r, errors.InvalidArgumentError) and r.message == "bad batch"
               for r in results)
    assert len({id(r) for r in results}) == 4  # each thread raises its own copy


def test_batcher_arguments_are_validated():
    with pytest.raises(ValueError):
        Batcher(max_batch_size=0)
