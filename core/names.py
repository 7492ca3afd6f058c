"""Names that several layers must agree on: node ids, artifact files and properties, signatures.

A name lives here when one stage writes it and another stage (or the CLI, a report, a client)
reads it; what only one module uses stays in that module.
"""

import os

# Node ids of create_pipeline (pipeline/pipeline.py); MLMD records runs under them.
TRAINER = "Trainer"
EVALUATOR = "Evaluator"
FIXED_BASELINE = "FixedBaseline"
BASELINE_EVALUATOR = "BaselineEvaluator"
BLESSING_MERGER = "BlessingMerger"
BASELINE_RESOLVER = "LatestBlessedModelResolver"
WINDOW_EXAMPLES = "JenaWindowExamples"
CANARY = "Canary"
TUNER = "Tuner"

# ExampleGen: the ingest report next to the splits and on the Examples artifact.
INGEST_REPORT_FILE = "ingest_report.json"
INGEST_REPORT_PROPERTY = "ingest_report"
JENA_INGEST_FILE = "jena_ingest.json"
JENA_INGEST_PROPERTY = "jena_ingest"
JENA_COLUMNS_PROPERTY = "columns"  # JSON {feature name: original column}

# Trainer: the training summary in the model run folder; the serving metadata in the model.
TRAINING_SUMMARY_FILE = "training_summary.json"
MODEL_METADATA_FILE = os.path.join("assets.extra", "model_metadata.json")

# Serving signatures of every exported model (trainer/export.py); TFMA reads the second.
DEFAULT_SIGNATURE = "serving_default"
EXAMPLE_SIGNATURE = "serving_tf_example"
EXAMPLES_INPUT = "examples"

# BlessingMerger: why each input blessing did or did not approve the model.
MERGED_BLESSINGS_PROPERTY = "merged_blessings"

# Canary: its verdict (JSON: blessed, why, per-protocol answers and latency) on its blessing.
CANARY_PROPERTY = "canary"
CANARY_FILE = "canary.json"
