"""Data-validation gate: stops the pipeline before Transform when ExampleValidator finds anomalies.

ExampleValidator only records anomalies; this component fails the run with a readable list of
them, so no model is trained on data that broke the schema.
"""


import os

from tensorflow_metadata.proto.v0 import anomalies_pb2
from tfx import v1 as tfx
from tfx.types import artifact_utils
from tfx.utils import io_utils


class DataAnomaliesError(RuntimeError):
    """Raised when the examples do not conform to the schema."""


def find_anomalies(anomalies_uri: str, split_names: list[str]) -> list[str]:
    """Returns one readable line per anomaly and split, empty when the data is clean."""
    problems = []
    for split in split_names:
        path = io_utils.get_only_uri_in_dir(os.path.join(anomalies_uri, f"Split-{split}"))
        anomalies = anomalies_pb2.Anomalies.FromString(io_utils.read_bytes_file(path))
        for feature, info in sorted(anomalies.anomaly_info.items()):
            problems.append(f"{split}: feature '{feature}': {info.short_description} "
                            f"({info.description})")
        if anomalies.HasField("dataset_anomaly_info"):
            info = anomalies.dataset_anomaly_info
            problems.append(f"{split}: dataset: {info.short_description} ({info.description})")
    return problems


@tfx.dsl.components.component
def AnomaliesGate(  # noqa: N802 (TFX component naming)
    anomalies: tfx.dsl.components.InputArtifact[tfx.types.standard_artifacts.ExampleAnomalies],
    code_version: tfx.dsl.components.Parameter[str],
) -> None:
    """Fails when any split has anomalies; Transform and everything after it then do not run.

    `code_version` (unused here) is the hash of this module's code: a cache key.
    """
    split_names = artifact_utils.decode_split_names(anomalies.split_names)
    problems = find_anomalies(anomalies.uri, split_names)
    if problems:
        raise DataAnomaliesError(
            f"ExampleValidator found {len(problems)} anomalies; stopping before Transform. "
            f"Fix the data or update the schema ({anomalies.uri}):\n  " + "\n  ".join(problems))
