"""Runs a pipeline locally: LocalDagRunner on Beam's direct runner, SQLite MLMD, caching on."""

from __future__ import annotations

import logging
import os

from tfx import v1 as tfx

from core.config import PipelineConfig
from pipeline import results
from pipeline.pipeline import create_pipeline


def run(cfg: PipelineConfig) -> results.RunSummary:
    """Runs the whole pipeline for `cfg` and returns the summary of what it produced."""
    os.makedirs(os.path.dirname(cfg.metadata_path), exist_ok=True)
    metadata = tfx.orchestration.metadata.sqlite_metadata_connection_config(cfg.metadata_path)
    logging.info("pipeline root %s, metadata %s, Beam args %s",
                 cfg.pipeline_root, cfg.metadata_path, cfg.beam_pipeline_args)
    tfx.orchestration.LocalDagRunner().run(create_pipeline(cfg, metadata))
    return results.summarize(cfg.metadata_path)
