"""Runs a pipeline locally: LocalDagRunner on Beam's direct runner, SQLite MLMD, caching on."""

from __future__ import annotations

import logging
import os

from tfx import v1 as tfx
from tfx.dsl.compiler import compiler
from tfx.proto.orchestration import pipeline_pb2

from core.config import PipelineConfig
from pipeline import history, results, run_lock
from pipeline.pipeline import NEVER_CACHED, create_pipeline


def compile_ir(cfg: PipelineConfig, metadata=None) -> pipeline_pb2.Pipeline:
    """The pipeline's IR with caching off for the NEVER_CACHED nodes (TFX sets one flag for all)."""
    ir = compiler.Compiler().compile(create_pipeline(cfg, metadata))
    for node in ir.nodes:
        if node.pipeline_node.node_info.id in NEVER_CACHED:
            node.pipeline_node.execution_options.caching_options.enable_cache = False
    return ir


def run(cfg: PipelineConfig) -> results.RunSummary:
    """Runs the whole pipeline for `cfg` and returns the summary of what it produced.

    Holds the output dir's lock throughout (run_lock.OutputDirBusyError when another run has
    it). On KeyboardInterrupt (SIGINT, or SIGTERM as the CLI maps it) the executions left
    running are recorded as CANCELED in MLMD before it propagates: the finished ones stay
    COMPLETE, so the next identical run takes them from the cache.
    """
    with run_lock.hold(cfg.output_dir):
        os.makedirs(os.path.dirname(cfg.metadata_path), exist_ok=True)
        metadata = tfx.orchestration.metadata.sqlite_metadata_connection_config(
            cfg.metadata_path)
        logging.info("pipeline root %s, metadata %s, Beam args %s",
                     cfg.pipeline_root, cfg.metadata_path, cfg.beam_pipeline_args)
        try:
            tfx.orchestration.LocalDagRunner().run_with_ir(compile_ir(cfg, metadata))
        except KeyboardInterrupt:
            cancelled = history.cancel_unfinished(cfg.metadata_path)
            logging.warning("interrupted; executions marked CANCELED: %s", cancelled)
            raise
        return results.summarize(cfg.metadata_path)
