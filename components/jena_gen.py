"""Jena climate ExampleGen: one CSV -> chronological train/eval/test tf.Examples, in Beam.

The rules (parsing, sorting, duplicates, splits, sentinel and gaps) are those of
components/jena_csv.py; components/jena_beam.py applies them to the file read through a Beam
source, so the job graph holds no row and a distributed runner (Dataflow) reads the file itself.
The original column names are kept in the `columns` property of the Examples artifact and, with
the split boundaries and the first gaps, in `jena_ingest.json` next to the splits.
"""

from __future__ import annotations

import glob
import json
import logging
import os
from typing import Any

import apache_beam as beam
import tensorflow as tf
from tfx.components.example_gen.component import FileBasedExampleGen
from tfx.dsl.components.base import executor_spec
from tfx.types import artifact_utils, standard_component_specs

from components import example_gen, jena_beam, jena_csv
from core import names
from core.code_version import code_version
from core.config import IngestConfig, JenaIngestConfig

SUMMARY_FILE = names.JENA_INGEST_FILE
SUMMARY_PROPERTY = names.JENA_INGEST_PROPERTY
COLUMNS_PROPERTY = names.JENA_COLUMNS_PROPERTY  # JSON {feature name: original column}


class JenaExampleGenExecutor(example_gen.ReportingExampleGenExecutor):
    """Reads the CSV with a Beam source; writes the summary next to the splits."""

    def read_splits(self, pipeline, input_base, splits, custom_config: dict[str, Any]):
        config = JenaIngestConfig.from_dict(custom_config.get("ingest", {}))
        patterns = {split.pattern for split in splits}
        paths = sorted({p for pattern in patterns
                        for p in tf.io.gfile.glob(os.path.join(input_base, pattern))})
        if len(paths) != 1:
            raise ValueError(f"expected exactly one Jena CSV for {sorted(patterns)} under "
                             f"{input_base}, found {paths}")
        outputs, summary = jena_beam.read_jena(pipeline, paths[0], config)
        _ = summary | "WriteSummary" >> beam.Map(jena_beam.write_json, self._summary_path)
        unknown = {split.name for split in splits} - set(jena_csv.SPLITS)
        if unknown:
            raise ValueError(f"Jena splits are {jena_csv.SPLITS}; got {sorted(unknown)}")
        return {split.name: outputs[split.name] for split in splits}

    def Do(self, input_dict, output_dict, exec_properties) -> None:  # noqa: N802 (TFX API)
        examples = artifact_utils.get_single_instance(
            output_dict[standard_component_specs.EXAMPLES_KEY])
        self._summary_path = os.path.join(examples.uri, SUMMARY_FILE)
        super().Do(input_dict, output_dict, exec_properties)
        with tf.io.gfile.GFile(self._summary_path) as handle:
            summary = json.load(handle)
        examples.set_string_custom_property(SUMMARY_PROPERTY, json.dumps(summary, sort_keys=True))
        examples.set_string_custom_property(COLUMNS_PROPERTY, json.dumps(
            {column["feature"]: column["original"] for column in summary["columns"]}))
        logging.info("Jena splits: %s", summary["splits"])


def create_example_gen(data_root, ingest: IngestConfig) -> FileBasedExampleGen:
    """The Jena ExampleGen component over one CSV file (all three splits read it).

    Its custom_config carries the hash of this module's code (core/code_version.py): a cache
    key, so an ingestion change re-runs ExampleGen.

    Args:
      data_root: the CSV file (local runs: what `resolve_jena` returns), or a folder holding
        `ingest.jena.csv_name`; a RuntimeParameter (Kubeflow) always stands for a folder.
    """
    if isinstance(data_root, str) and not tf.io.gfile.isdir(data_root):
        local = "://" not in data_root
        folder, name = os.path.split(os.path.abspath(data_root) if local else data_root)
    else:
        folder, name = data_root, ingest.jena.csv_name
    return FileBasedExampleGen(
        input_base=folder,
        input_config=example_gen.input_config({split: glob.escape(name)
                                               for split in jena_csv.SPLITS}),
        custom_config={"ingest": ingest.jena.to_dict(), "code_version": code_version(__name__)},
        custom_executor_spec=executor_spec.BeamExecutorSpec(JenaExampleGenExecutor),
    ).with_id("JenaExampleGen")
