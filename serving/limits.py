"""What one request may hold: the same instance limit for the local server and the real one.

MAX_BATCH_SIZE is `max_batch_size` of deploy/batching_parameters.txt, the batching config that
`serve` and deploy/deployment.yaml give tensorflow_model_server (--enable_batching). There, a
request of more examples is refused, not split: the batch queue rejects a task larger than
max_batch_size with INVALID_ARGUMENT "Task size N is larger than maximum input batch size M"
(tensorflow/core/kernels/batching_util/shared_batch_scheduler.h; TF Serving maps max_batch_size
to that limit in servables/tensorflow/bundle_factory_util.h, and enable_large_batch_splitting
only splits what is under it). The local server refuses the same requests before it builds a
tensor, the clients split larger inputs into requests of at most this many, and a test checks
the constants against the file.
"""

from __future__ import annotations

from serving import errors

MAX_BATCH_SIZE = 64  # max_batch_size in deploy/batching_parameters.txt
MAX_CONCURRENT_PREDICTS = 4  # num_batch_threads there: batches the real server runs at once
# A body over this is refused from its Content-Length, unread. 64 raw IMDB reviews (the longest
# in aclImdb is 13.7 kB) or 64 Jena windows of the book's 120 x 14 values take under 1.5 MB.
MAX_REQUEST_BYTES = 4 * 2**20


def check_batch_size(count: int, limit: int) -> None:
    """Raises InvalidArgumentError naming the limit when a request holds more than `limit`."""
    if count > limit:
        raise errors.InvalidArgumentError(
            f"request of {count} instances is over the limit of {limit} per request "
            f"(max_batch_size); send at most {limit} per request")


def check_body_size(length: int, limit: int) -> None:
    """Raises InvalidArgumentError naming the limit when a body is larger than `limit` bytes."""
    if length > limit:
        raise errors.InvalidArgumentError(
            f"request body of {length} bytes is over the limit of {limit} bytes per request")
