"""Data-validation gate: stops the pipeline before Transform when the data breaks its schema.

ExampleValidator only records anomalies: one split at a time against the curated schema.
`AnomaliesGate` adds the task's custom validations (TFDV SQL over each split's statistics) and
what compares splits, the schema's skew and drift comparators (train vs eval, train vs test),
and fails the run with one line per anomaly (split,
feature, the check that failed, TFDV's description), so no model is trained or evaluated on
data that broke the schema. Transform and JenaWindowExamples wait for it.
"""

import os

import tensorflow_data_validation as tfdv
from google.protobuf import text_format
from tensorflow_data_validation.anomalies.proto import custom_validation_config_pb2
from tensorflow_data_validation.api import validation_api
from tensorflow_metadata.proto.v0 import anomalies_pb2, schema_pb2, statistics_pb2
from tfx import v1 as tfx
from tfx.components.statistics_gen import stats_artifact_utils
from tfx.types import artifact_utils
from tfx.utils import io_utils

SCHEMA_FILE = "schema.pbtxt"  # SchemaGen's and ImportSchemaGen's file name
BASELINE_SPLIT = "train"  # the split every other one is compared with
_COMPARATOR_PREFIX = "COMPARATOR_"  # TFDV reason types of skew and drift comparators


class DataAnomaliesError(RuntimeError):
    """Raised when the examples do not conform to the schema."""


def load_checks(path: str | None) -> custom_validation_config_pb2.CustomValidationConfig | None:
    """A CustomValidationConfig text proto file (None: no custom validations)."""
    if not path:
        return None
    return io_utils.parse_pbtxt_file(path, custom_validation_config_pb2.CustomValidationConfig())


def describe(anomalies: anomalies_pb2.Anomalies, where: str) -> list[str]:
    """One line per anomaly: where, feature, the failed checks (TFDV reason types), why."""
    lines = []
    for feature, info in sorted(anomalies.anomaly_info.items()):
        checks = "/".join(sorted({anomalies_pb2.AnomalyInfo.Type.Name(r.type)
                                  for r in info.reason}))
        short = info.short_description or "; ".join(r.short_description for r in info.reason)
        why = info.description or " ".join(r.description for r in info.reason)
        lines.append(f"{where}: feature '{feature}': {checks}: {short} ({why})")
    if anomalies.HasField("dataset_anomaly_info"):
        info = anomalies.dataset_anomaly_info
        lines.append(f"{where}: dataset: {info.short_description} ({info.description})")
    return lines


def schema_anomalies(
    statistics: statistics_pb2.DatasetFeatureStatisticsList, schema: schema_pb2.Schema,
) -> anomalies_pb2.Anomalies:
    """One split against the schema: ExampleValidator's own call."""
    return tfdv.validate_statistics(statistics, schema)


def custom_anomalies(
    statistics: statistics_pb2.DatasetFeatureStatisticsList,
    checks: custom_validation_config_pb2.CustomValidationConfig | None,
) -> anomalies_pb2.Anomalies:
    """One split against the task's custom validations (SQL over its statistics).

    Run by the gate, not ExampleValidator: the Kubeflow V2 compiler of TFX 1.16 rejects
    ExampleValidator's proto-valued `custom_validation_config`. Feature validations only (the
    config's pair validations are not used); a slice the split lacks is skipped.
    """
    if checks is None:
        return anomalies_pb2.Anomalies()
    present = {dataset.name for dataset in statistics.datasets}
    applicable = custom_validation_config_pb2.CustomValidationConfig(feature_validations=[
        check for check in checks.feature_validations  # a class absent here: nothing to check
        if not check.dataset_name or check.dataset_name in present])
    return validation_api.custom_validate_statistics(statistics, applicable)


def drift_anomalies(
    statistics: statistics_pb2.DatasetFeatureStatisticsList,
    baseline: statistics_pb2.DatasetFeatureStatisticsList, schema: schema_pb2.Schema,
) -> anomalies_pb2.Anomalies:
    """The schema's drift and skew comparators, `statistics` against `baseline` only.

    Both comparators of a feature apply (TFDV's drift_comparator compares with a previous span,
    skew_comparator with serving data); anomalies of the split on its own are left out here.
    """
    found = tfdv.validate_statistics(statistics, schema, previous_statistics=baseline,
                                     serving_statistics=baseline)
    result = anomalies_pb2.Anomalies()
    for feature, info in found.anomaly_info.items():
        reasons = [r for r in info.reason
                   if anomalies_pb2.AnomalyInfo.Type.Name(r.type).startswith(_COMPARATOR_PREFIX)]
        if reasons:
            kept = result.anomaly_info[feature]
            kept.CopyFrom(info)
            del kept.reason[:]
            kept.reason.extend(reasons)
            kept.description = " ".join(r.description for r in reasons)
            kept.short_description = "; ".join(r.short_description for r in reasons)
    return result


def split_problems(
    statistics: dict[str, statistics_pb2.DatasetFeatureStatisticsList],
    schema: schema_pb2.Schema,
    checks: custom_validation_config_pb2.CustomValidationConfig | None = None,
) -> list[str]:
    """Every anomaly of the splits: each against the schema, then each vs the baseline split."""
    problems = []
    for split, stats in statistics.items():
        problems += describe(schema_anomalies(stats, schema), split)
    return problems + gate_problems(statistics, schema, checks)


def gate_problems(
    statistics: dict[str, statistics_pb2.DatasetFeatureStatisticsList],
    schema: schema_pb2.Schema,
    checks: custom_validation_config_pb2.CustomValidationConfig | None = None,
) -> list[str]:
    """What the gate adds to ExampleValidator: custom validations, then split comparisons."""
    problems = [line for split, stats in statistics.items()
                for line in describe(custom_anomalies(stats, checks), split)]
    return problems + comparison_problems(statistics, schema)


def comparison_problems(
    statistics: dict[str, statistics_pb2.DatasetFeatureStatisticsList],
    schema: schema_pb2.Schema,
) -> list[str]:
    """Skew/drift lines for every split but the baseline, compared with the baseline."""
    if BASELINE_SPLIT not in statistics:
        return []
    baseline = statistics[BASELINE_SPLIT]
    return [line for split, stats in statistics.items() if split != BASELINE_SPLIT
            for line in describe(drift_anomalies(stats, baseline, schema),
                                 f"{split} vs {BASELINE_SPLIT}")]


def find_anomalies(anomalies_uri: str, split_names: list[str]) -> list[str]:
    """One line per anomaly ExampleValidator wrote for each split; empty when clean."""
    problems = []
    for split in split_names:
        path = io_utils.get_only_uri_in_dir(os.path.join(anomalies_uri, f"Split-{split}"))
        problems += describe(anomalies_pb2.Anomalies.FromString(io_utils.read_bytes_file(path)),
                             split)
    return problems


@tfx.dsl.components.component
def CuratedSchemaGen(  # noqa: N802 (TFX component naming)
    schema: tfx.dsl.components.OutputArtifact[tfx.types.standard_artifacts.Schema],
    schema_text: tfx.dsl.components.Parameter[str],
) -> None:
    """Writes `schema_text`, a Schema text proto, as the schema artifact (ImportSchemaGen's job).

    The text, not a path, is the execution property: TFX's cache re-runs this node (and what
    follows) when the curated file changes, and a Kubeflow spec carries the schema itself.
    """
    parsed = text_format.Parse(schema_text, schema_pb2.Schema())
    io_utils.write_pbtxt_file(os.path.join(schema.uri, SCHEMA_FILE), parsed)


@tfx.dsl.components.component
def AnomaliesGate(  # noqa: N802 (TFX component naming)
    anomalies: tfx.dsl.components.InputArtifact[tfx.types.standard_artifacts.ExampleAnomalies],
    statistics: tfx.dsl.components.InputArtifact[tfx.types.standard_artifacts.ExampleStatistics],
    schema: tfx.dsl.components.InputArtifact[tfx.types.standard_artifacts.Schema],
    checks: tfx.dsl.components.Parameter[str],
    code_version: tfx.dsl.components.Parameter[str],
) -> None:
    """Fails when a split has anomalies or has drifted from train; what follows then never runs.

    `checks`: a CustomValidationConfig text proto ("" for none). `code_version` (unused here)
    is the hash of this module's code: a cache key.
    """
    problems = find_anomalies(anomalies.uri, artifact_utils.decode_split_names(
        anomalies.split_names))
    curated = io_utils.SchemaReader().read(io_utils.get_only_uri_in_dir(schema.uri))
    stats = {split: stats_artifact_utils.load_statistics(statistics, split).proto()
             for split in artifact_utils.decode_split_names(statistics.split_names)}
    validations = checks and text_format.Parse(
        checks, custom_validation_config_pb2.CustomValidationConfig())
    problems += gate_problems(stats, curated, validations or None)
    if problems:
        raise DataAnomaliesError(
            f"data validation found {len(problems)} anomalies; stopping before Transform. "
            f"Fix the data or update the schema ({schema.uri}):\n  " + "\n  ".join(problems))
