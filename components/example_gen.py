"""Shared ExampleGen machinery: custom splits plus an ingest report of what was skipped or repaired.

A task's executor subclasses `ReportingExampleGenExecutor` and implements `read_splits`, which
returns, per output split, a PCollection of tf.Examples and a PCollection of issue records
`(kind, reason)`. Kinds: "skipped" (the record is not written), "repaired" (a record-level fix
such as re-sorting rows) and "kept" (a bad value stored as it is in the source, for the Transform
graph to repair, so that training, TFMA and serving repair it the same way). Nothing is dropped
silently: counts per split and reason are written next to the examples (`ingest_report.json`),
stored as the `ingest_report` custom property of the Examples artifact, and logged.
"""

from __future__ import annotations

import abc
import json
import logging
import os
from typing import Any

import apache_beam as beam
import tensorflow as tf
from tfx.components.example_gen import base_example_gen_executor
from tfx.components.example_gen import utils as example_gen_utils
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import proto_utils

from core import names

REPORT_FILE = names.INGEST_REPORT_FILE
REPORT_PROPERTY = names.INGEST_REPORT_PROPERTY
SKIPPED = "skipped"
REPAIRED = "repaired"
KEPT = "kept"
KINDS = (SKIPPED, REPAIRED, KEPT)

SplitOutput = tuple[beam.PCollection, beam.PCollection]  # (tf.Examples, (kind, reason) issues)


class ReportingExampleGenExecutor(base_example_gen_executor.BaseExampleGenExecutor, abc.ABC):
    """ExampleGen executor whose subclasses define the splits and report dropped records."""

    @abc.abstractmethod
    def read_splits(
        self,
        pipeline: beam.Pipeline,
        input_base: str,
        splits: list[example_gen_pb2.Input.Split],
        custom_config: dict[str, Any],
    ) -> dict[str, SplitOutput]:
        """Returns {split name: (examples, issues)} for every input split."""

    def GetInputSourceToExamplePTransform(self) -> beam.PTransform:  # noqa: N802 (TFX API)
        raise NotImplementedError("splits are built by read_splits()")

    def GenerateExamplesByBeam(  # noqa: N802 (TFX API)
        self, pipeline: beam.Pipeline, exec_properties: dict[str, Any]
    ) -> dict[str, beam.PCollection]:
        input_config = example_gen_pb2.Input()
        proto_utils.json_to_proto(
            exec_properties[standard_component_specs.INPUT_CONFIG_KEY], input_config)
        custom_config = json.loads(exec_properties.get("custom_config") or "{}")
        outputs = self.read_splits(
            pipeline, exec_properties[standard_component_specs.INPUT_BASE_KEY],
            list(input_config.splits), custom_config)
        counts = []
        for name, (examples, issues) in outputs.items():
            counts.append(examples | f"Count[{name}]" >> beam.combiners.Count.Globally()
                          | f"Key[{name}]" >> beam.Map(lambda n, s=name: (s, "examples", "", n)))
            counts.append(issues | f"CountIssues[{name}]" >> beam.combiners.Count.PerElement()
                          | f"KeyIssues[{name}]" >> beam.MapTuple(
                              lambda issue, n, s=name: (s, issue[0], issue[1], n)))
        _ = (counts | "FlattenCounts" >> beam.Flatten()
             | "Gather" >> beam.combiners.ToList()
             | "WriteReport" >> beam.Map(_write_report, self._report_path))
        return {name: examples for name, (examples, _) in outputs.items()}

    def Do(self, input_dict, output_dict, exec_properties) -> None:  # noqa: N802 (TFX API)
        examples = artifact_utils.get_single_instance(
            output_dict[standard_component_specs.EXAMPLES_KEY])
        self._report_path = os.path.join(examples.uri, REPORT_FILE)
        super().Do(input_dict, output_dict, exec_properties)
        report = read_report(examples.uri)
        examples.set_string_custom_property(REPORT_PROPERTY, json.dumps(report, sort_keys=True))
        logging.info("Ingest report: %s", format_report(report))


def _write_report(rows: list[tuple[str, str, str, int]], path: str) -> None:
    report: dict[str, dict[str, Any]] = {}
    for split, kind, reason, count in rows:
        entry = report.setdefault(split, {"examples": 0, **{kind: {} for kind in KINDS}})
        if kind == "examples":
            entry["examples"] = count
        else:
            entry[kind][reason] = count
    with tf.io.gfile.GFile(path, "w") as handle:
        json.dump(report, handle, indent=2, sort_keys=True)


def read_report(examples_uri: str) -> dict[str, Any]:
    """Loads the ingest report written next to an Examples artifact's splits."""
    with tf.io.gfile.GFile(os.path.join(examples_uri, REPORT_FILE)) as handle:
        return json.load(handle)


def format_report(report: dict[str, Any]) -> str:
    """One line per split: example count, then skipped, repaired and kept records with reasons."""
    lines = []
    for split in sorted(report):
        entry = report[split]
        parts = [f"{split}: {entry['examples']} examples"]
        for kind in KINDS:
            if entry.get(kind):
                reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(entry[kind].items()))
                parts.append(f"{kind} {sum(entry[kind].values())} ({reasons})")
        lines.append("; ".join(parts))
    return "\n".join(lines)


def input_config(split_patterns: dict[str, str]) -> example_gen_pb2.Input:
    """Builds an ExampleGen Input config with one split per (name, glob pattern)."""
    return example_gen_pb2.Input(splits=[
        example_gen_pb2.Input.Split(name=name, pattern=pattern)
        for name, pattern in split_patterns.items()])


def output_split_names(config: example_gen_pb2.Input) -> list[str]:
    return example_gen_utils.generate_output_split_names(config, example_gen_pb2.Output())
