"""Window examples for the Jena Evaluators: one tf.Example per test window.

TFMA scores one tf.Example at a time, but a forecast needs a whole window of rows, so the
Evaluators cannot read ExampleGen's row examples. This component (run between ExampleGen and both
Evaluators) writes, for the evaluated split only, one example per window, with exactly the windows
the Trainer builds (core/windows.py: same lookback, step and delay, never across a gap):

- `<feature>`: float list of `lookback / step` raw observations, oldest first, for every column;
- `target`: the raw temperature (°C) `delay` rows after the last observation (the label); a
  window whose target was not measured is left out, as the Trainer leaves it out;
- `target_timestamp`: int64 time of the target, for slicing.

Observations are written as ExampleGen stored them (NaN or the sentinel where missing): the
model's own graph repairs them, as it does for a served window. Every `window_stride`-th window
is written (1: all of them, as the book evaluates), and the stride grows to
ceil(windows / `max_windows`) when there are more than `max_windows` (EvalConfig.max_eval_windows:
one tf.Example per window costs 15x the rows' disk and most of the Evaluators' time at the full
file's scale, bench/results/jena_scale.md); the stride used is the artifact's `window_stride`
property. The model's
`serving_tf_example` signature parses this layout (trainer/jena.py).
"""


import json
import os

import numpy as np
import tensorflow as tf
from tfx import v1 as tfx
from tfx.types import artifact_utils

from core import features, names
from core import windows as window_index
from core.code_version import code_version
from core.config import PipelineConfig, WindowConfig

Examples = tfx.types.standard_artifacts.Examples


def read_split(uri: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Raw row examples of one split -> (timestamps, {feature: values}), sorted by time."""
    files = tf.io.gfile.glob(os.path.join(uri, "*"))
    stamps, columns = [], {}
    for record in tf.data.TFRecordDataset(files, compression_type="GZIP").as_numpy_iterator():
        feature = tf.train.Example.FromString(record).features.feature
        stamps.append(feature[features.JENA_TIMESTAMP].int64_list.value[0])
        for name, value in feature.items():
            if name != features.JENA_TIMESTAMP:
                columns.setdefault(name, []).append(value.float_list.value[0])
    order = np.argsort(np.array(stamps, np.int64), kind="stable")
    return (np.array(stamps, np.int64)[order],
            {name: np.array(values, np.float32)[order] for name, values in columns.items()})


def evaluated_starts(
    stamps: np.ndarray, temperature: np.ndarray, window: WindowConfig, stride: int,
    max_windows: int = 0,
) -> tuple[np.ndarray, int]:
    """(start rows of the evaluated windows, the stride used): every `stride`-th window with a
    measured target, the stride raised so that at most `max_windows` remain (0: no cap)."""
    measured = np.isfinite(temperature) & (temperature != features.JENA_SENTINEL)
    starts = window_index.window_starts(stamps, window, has_target=measured)
    if max_windows:
        stride = max(stride, -(-len(starts) // max_windows))
    return starts[::stride], stride


def serialize_windows(
    stamps: np.ndarray, columns: dict[str, np.ndarray], window: WindowConfig, stride: int,
    max_windows: int = 0,
):
    """Yields one serialized window example per evaluated window (`evaluated_starts`)."""
    offsets = window_index.input_offsets(window)
    temperature = columns[features.JENA_TEMPERATURE]
    starts, _ = evaluated_starts(stamps, temperature, window, stride, max_windows)
    for start in starts:
        rows = start + offsets
        feature = {name: tf.train.Feature(float_list=tf.train.FloatList(value=values[rows]))
                   for name, values in columns.items()}
        target = start + window.span
        feature[features.JENA_WINDOW_TARGET] = tf.train.Feature(
            float_list=tf.train.FloatList(value=[temperature[target]]))
        feature[features.JENA_WINDOW_TARGET_TIME] = tf.train.Feature(
            int64_list=tf.train.Int64List(value=[stamps[target]]))
        yield tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


@tfx.dsl.components.component
def JenaWindowExamples(  # noqa: N802 (TFX component naming)
    row_examples: tfx.dsl.components.InputArtifact[Examples],
    examples: tfx.dsl.components.OutputArtifact[Examples],
    window: tfx.dsl.components.Parameter[str],
    split: tfx.dsl.components.Parameter[str],
    stride: tfx.dsl.components.Parameter[int],
    max_windows: tfx.dsl.components.Parameter[int],
    code_version: tfx.dsl.components.Parameter[str],
) -> None:
    """Writes split `split` of `row_examples` as window examples (`window`: WindowConfig JSON).

    Every `stride`-th window, or a larger stride keeping at most `max_windows` (0: no cap).

    `code_version` (unused here) is the hash of this module's code: a cache key.
    """
    config = WindowConfig.from_dict(json.loads(window))
    stamps, columns = read_split(artifact_utils.get_split_uri([row_examples], split))
    if features.JENA_TEMPERATURE not in columns:
        raise ValueError(f"split '{split}' has no '{features.JENA_TEMPERATURE}' feature")
    out_dir = os.path.join(examples.uri, f"Split-{split}")
    tf.io.gfile.makedirs(out_dir)
    count = 0
    path = os.path.join(out_dir, "data_tfrecord-00000-of-00001.gz")
    with tf.io.TFRecordWriter(path, options="GZIP") as writer:
        for record in serialize_windows(stamps, columns, config, stride, max_windows):
            writer.write(record)
            count += 1
    if count == 0:
        raise ValueError(f"split '{split}' ({len(stamps)} rows) has no window of "
                         f"{config.span + 1} evenly spaced rows (lookback {config.lookback}, "
                         f"step {config.step}, delay {config.delay})")
    examples.split_names = artifact_utils.encode_split_names([split])
    examples.set_int_custom_property("windows", count)
    _, used = evaluated_starts(stamps, columns[features.JENA_TEMPERATURE], config, stride,
                               max_windows)
    examples.set_int_custom_property("window_stride", used)


def create_window_examples(cfg: PipelineConfig, row_examples, split: str):
    """The component writing split `split`'s windows for `cfg`'s window and stride."""
    return JenaWindowExamples(
        row_examples=row_examples, window=json.dumps(cfg.train.window.to_dict()),
        split=split, stride=cfg.eval.window_stride, max_windows=cfg.eval.max_eval_windows,
        code_version=code_version(__name__),
    ).with_id(names.WINDOW_EXAMPLES)
