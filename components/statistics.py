"""MeasuredStatisticsGen: StatisticsGen for data that marks "no measurement" with a sentinel.

The Jena station writes -9999 where a sensor gave nothing, and ExampleGen stores it as it is
(the model's graph treats it as missing). TFDV's statistics would count it as a value, so a
range such as "pressure in [900, 1100] mbar" could never hold. This component computes the same
TFDV statistics as StatisticsGen, after the sentinel is turned into NaN, the value TFDV counts
as missing (`num_nan`), so ExampleValidator's ranges and the gate's split comparisons see
measured values only. Served traffic is compared the same way (`measured_statistics`).
"""

import os
import tempfile

import apache_beam as beam
import numpy as np
import pyarrow as pa
import tensorflow_data_validation as tfdv
from tensorflow_metadata.proto.v0 import statistics_pb2
from tfx import v1 as tfx
from tfx.components.statistics_gen import stats_artifact_utils
from tfx.types import artifact_utils
from tfx_bsl.public import tfxio
from tfx_bsl.public.proto import slicing_spec_pb2

from core import names
from core.code_version import code_version

STATS_FILE = stats_artifact_utils.BINARY_PB_BASENAME  # where ExampleValidator looks


def mask_sentinel(batch: pa.RecordBatch, sentinel: float) -> pa.RecordBatch:
    """The batch with every float value equal to `sentinel` replaced by NaN."""
    columns = []
    for column in batch.columns:
        kind = column.type
        if ((pa.types.is_list(kind) or pa.types.is_large_list(kind))
                and pa.types.is_floating(kind.value_type)):
            values = column.values.to_numpy(zero_copy_only=False).copy()
            values[values == sentinel] = np.nan
            column = type(column).from_arrays(  # ListArray or LargeListArray, as decoded
                column.offsets, pa.array(values, kind.value_type), mask=column.is_null())
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema)


def stats_options(slices: tuple[str, ...] = ()) -> tfdv.StatsOptions:
    """TFDV options of every statistics step: exact uniques, and slices by `slices` features.

    Exact top-k and unique counts (not TFDV's default sketches, off by about 0.1% at 25,000
    values) let a custom validation check that an id is unique; a slice per value of a feature
    (`label_0`, `label_1`) lets one check a feature within a class.
    """
    config = slicing_spec_pb2.SlicingConfig(slicing_specs=[
        slicing_spec_pb2.SlicingSpec(),
        *(slicing_spec_pb2.SlicingSpec(feature_keys=[key]) for key in slices)])
    return tfdv.StatsOptions(use_sketch_based_topk_uniques=False,
                             slicing_config=config if slices else None)


def measured_statistics(
    batches: dict[str, pa.RecordBatch], sentinel: float | None, slices: tuple[str, ...] = ()
) -> dict[str, statistics_pb2.DatasetFeatureStatisticsList]:
    """{split: TFDV statistics} of in-memory record batches, as the pipeline computes them.

    The same Beam transforms as the component below (TFDV's in-memory path ignores slices and
    sketches uniques), for data such as a batch of served requests or a test's examples.
    """
    with tempfile.TemporaryDirectory() as folder:
        with beam.Pipeline() as pipeline:
            for split, batch in batches.items():
                if sentinel is not None:
                    batch = mask_sentinel(batch, sentinel)
                _ = (pipeline | f"Create[{split}]" >> beam.Create([batch])
                     | f"Stats[{split}]" >> tfdv.GenerateStatistics(stats_options(slices))
                     | f"Write[{split}]" >> tfdv.WriteStatisticsToBinaryFile(
                         os.path.join(folder, split)))
        return {split: tfdv.load_stats_binary(os.path.join(folder, split)) for split in batches}


@tfx.dsl.components.component(use_beam=True)
def MeasuredStatisticsGen(  # noqa: N802 (TFX component naming)
    examples: tfx.dsl.components.InputArtifact[tfx.types.standard_artifacts.Examples],
    statistics: tfx.dsl.components.OutputArtifact[
        tfx.types.standard_artifacts.ExampleStatistics],
    sentinel: tfx.dsl.components.Parameter[float],
    slices: tfx.dsl.components.Parameter[str],
    code_version: tfx.dsl.components.Parameter[str],
    beam_pipeline: tfx.dsl.components.BeamComponentParameter[beam.Pipeline] = None,
) -> None:
    """Writes `Split-<name>/FeatureStats.pb` per split, as StatisticsGen does.

    `slices`: comma-separated features to slice by. `code_version` (unused here) is the
    hash of this module's code: a cache key.
    """
    options = stats_options(tuple(key for key in slices.split(",") if key))
    splits = artifact_utils.decode_split_names(examples.split_names)
    with beam_pipeline as pipeline:
        for split in splits:
            pattern = os.path.join(artifact_utils.get_split_uri([examples], split), "*")
            output = os.path.join(statistics.uri, f"Split-{split}", STATS_FILE)
            _ = (pipeline
                 | f"Read[{split}]" >> tfxio.TFExampleRecord(
                     file_pattern=pattern,
                     telemetry_descriptors=["MeasuredStatisticsGen"]).BeamSource()
                 | f"Mask[{split}]" >> beam.Map(mask_sentinel, sentinel)
                 | f"Stats[{split}]" >> tfdv.GenerateStatistics(options)
                 | f"Write[{split}]" >> tfdv.WriteStatisticsToBinaryFile(output))
    statistics.split_names = artifact_utils.encode_split_names(splits)
    statistics.span = examples.span


def create_statistics_gen(examples, sentinel: float, slices: tuple[str, ...] = ()):
    """The component computing the statistics of `examples` with `sentinel` as missing."""
    return MeasuredStatisticsGen(
        examples=examples, sentinel=sentinel, slices=",".join(slices),
        code_version=code_version(__name__),
    ).with_id(names.STATISTICS_GEN)
