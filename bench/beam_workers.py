"""Benchmark: ExampleGen -> StatisticsGen -> Transform on 1 vs 2 Beam direct-runner workers.

Runs the real pipeline, `create_pipeline(cfg)`, as a TFX partial run up to Transform
(`RunOptions(to_nodes=[Transform])`, so SchemaGen, ExampleValidator and the gate run too), with
`PipelineConfig.beam_workers` = 1 (in-memory) and then N (`multi_processing`), caching off. Each
measurement is a fresh process; wall time and peak memory cover its whole process tree (Beam
workers included), component times come from MLMD. Writes
bench/results/beam_workers.{json,md} (or --results-dir).

Usage (repository root; the full IMDB data takes a while):
  python -m bench.beam_workers --data-dir ../shared/data/imdb [--workers 1 2] [--repeats 1]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import statistics
import sys
import time

from bench import common

NAME = "beam_workers"
BEAM_COMPONENTS = ("ExampleGen", "StatisticsGen", "Transform")  # suffixes of node ids


def run_partial(task: str, data_dir: str, output_dir: str, workers: int) -> dict:
    """Runs the task's pipeline up to Transform; returns times per component and example counts."""
    from tfx import v1 as tfx
    from tfx.orchestration import pipeline as tfx_pipeline

    from cli import main as cli
    from cli import run as cli_run
    from pipeline import results
    from pipeline.pipeline import create_pipeline

    run_args = cli.build_parser().parse_args(
        ["run", task, "--output-dir", output_dir, "--beam-workers", str(workers), "--no-cache"])
    cfg = cli_run.config_from_args(run_args, data_root=data_dir)
    os.makedirs(os.path.dirname(cfg.metadata_path), exist_ok=True)
    metadata = tfx.orchestration.metadata.sqlite_metadata_connection_config(cfg.metadata_path)
    pipeline = create_pipeline(cfg, metadata)
    transform = next(node.id for node in pipeline.components
                     if isinstance(node, tfx.components.Transform))
    started = time.monotonic()
    tfx.orchestration.LocalDagRunner().run(
        pipeline, run_options=tfx_pipeline.RunOptions(to_nodes=[transform]))
    seconds = time.monotonic() - started
    _, outputs, _ = results.latest_run_outputs(cfg.metadata_path)
    return {"workers": workers, "beam_args": cfg.beam_pipeline_args,
            "pipeline_seconds": round(seconds, 1),
            "component_seconds": component_seconds(cfg.metadata_path),
            "examples": example_counts(outputs)}


def component_seconds(metadata_path: str) -> dict[str, float]:
    """Seconds from each execution's creation to its last update (driver to publish)."""
    from ml_metadata import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = metadata_path
    store = metadata_store.MetadataStore(config)
    seconds = {}
    for execution in store.get_executions():
        nodes = [c.name.split(".", 1)[1] for c in store.get_contexts_by_execution(execution.id)
                 if c.type == "node"]
        elapsed = execution.last_update_time_since_epoch - execution.create_time_since_epoch
        seconds[nodes[0] if nodes else str(execution.id)] = round(elapsed / 1000, 1)
    return seconds


def example_counts(outputs: dict) -> dict[str, int]:
    from components import example_gen

    for keys in outputs.values():
        for artifact in keys.get("examples", []):
            if example_gen.REPORT_PROPERTY in artifact.custom_properties:
                report = json.loads(
                    artifact.custom_properties[example_gen.REPORT_PROPERTY].string_value)
                return {split: entry["examples"] for split, entry in sorted(report.items())}
    return {}


def warm_page_cache(root: pathlib.Path) -> tuple[int, float]:
    """Reads every file under `root` once, so the first measured run does not pay cold I/O."""
    started, files = time.monotonic(), 0
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        with path.open("rb") as handle:
            while handle.read(1 << 20):
                pass
        files += 1
    return files, time.monotonic() - started


def measure(task: str, data_dir: str, workers: int, scratch: pathlib.Path) -> dict:
    """One measurement in a fresh process (`--child`); adds its process-tree wall time and RSS."""
    output_dir, report = scratch / f"workers-{workers}", scratch / f"workers-{workers}.json"
    shutil.rmtree(output_dir, ignore_errors=True)  # a fresh MLMD store and pipeline root
    command = [sys.executable, "-m", "bench.beam_workers", "--child", "--task", task,
               "--data-dir", data_dir, "--workers", str(workers),
               "--output-dir", str(output_dir), "--report", str(report)]
    process = common.run_measured(command, scratch / f"workers-{workers}.log",
                                  env={"TF_USE_LEGACY_KERAS": "1",
                                       "PYTHONPATH": str(common.RESULTS.parents[1])})
    if process["returncode"] != 0:
        raise RuntimeError(f"{' '.join(command)} failed; see {scratch}/workers-{workers}.log")
    return json.loads(report.read_text()) | {
        "process_wall_seconds": process["wall_seconds"], "peak_rss_mb": process["peak_rss_mb"]}


def summarize(runs: list[dict], worker_counts: list[int]) -> dict:
    """Median pipeline seconds per worker count and the speedup of each count vs the first."""
    medians = {n: statistics.median(r["pipeline_seconds"] for r in runs if r["workers"] == n)
               for n in worker_counts}
    base = worker_counts[0]
    return {"median_pipeline_seconds": {str(n): medians[n] for n in worker_counts},
            "speedup_vs_first": {str(n): round(medians[base] / medians[n], 2)
                                 for n in worker_counts}}


def table(runs: list[dict]) -> list[list[str]]:
    rows = [["workers", "pipeline s", "process s", "peak RSS MB",
             *[f"{name} s" for name in BEAM_COMPONENTS]]]
    for run in runs:
        by_suffix = {suffix: next((s for node, s in run["component_seconds"].items()
                                   if node.endswith(suffix)), None)
                     for suffix in BEAM_COMPONENTS}
        rows.append([str(run["workers"]), f"{run['pipeline_seconds']:.1f}",
                     f"{run['process_wall_seconds']:.1f}", str(run["peak_rss_mb"]),
                     *[f"{s:.1f}" if s is not None else "-" for s in by_suffix.values()]])
    return rows


def write_results(results_dir: pathlib.Path, payload: dict, rows: list[list[str]]) -> None:
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / f"{NAME}.json").write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    header, *body = rows
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    first, *others = payload["worker_counts"]
    speedup = ", ".join(f"x{payload['summary']['speedup_vs_first'][str(n)]} with {n}"
                        for n in others)
    examples = ", ".join(f"{split} {count}" for split, count in payload["examples"].items())
    (results_dir / f"{NAME}.md").write_text(
        f"# {NAME}\n\n{payload['task']} data {payload['data_dir']} ({examples} examples), "
        f"{payload['machine']['cpus']} CPUs, load average before "
        f"{payload['load_average_before']}.\n\n" + "\n".join(lines) +
        f"\n\nMedian pipeline time vs {first} worker(s): {speedup}. 'pipeline s' is the "
        "partial run up to Transform; 'process s' adds the process start and imports.\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="imdb")
    parser.add_argument("--data-dir", type=pathlib.Path, required=True,
                        help="as for `run --data-dir` (an aclImdb folder, its parent, a tarball)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=1,
                        help="measurements per worker count; the order alternates")
    parser.add_argument("--cache-dir", type=pathlib.Path,
                        default=pathlib.Path.home() / ".cache" / "tfx-text-pipelines")
    parser.add_argument("--scratch-dir", type=pathlib.Path,
                        default=common.RESULTS / f"{NAME}.scratch",
                        help="pipeline outputs and logs of the last run per worker count")
    parser.add_argument("--results-dir", type=pathlib.Path, default=common.RESULTS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--output-dir", help=argparse.SUPPRESS)
    parser.add_argument("--report", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

    if args.child:
        result = run_partial(args.task, str(args.data_dir), args.output_dir, args.workers[0])
        pathlib.Path(args.report).write_text(json.dumps(result, indent=2))
        return 0

    from core import tasks

    data_dir = tasks.load(tasks.get_task_spec(args.task).resolve_data)(args.data_dir,
                                                                      args.cache_dir)
    args.scratch_dir.mkdir(parents=True, exist_ok=True)
    files, warm_seconds = warm_page_cache(pathlib.Path(data_dir))
    print(f"{args.task} data {data_dir}: read {files} files in {warm_seconds:.1f}s (page cache)")
    load_before = [round(x, 2) for x in os.getloadavg()]
    runs = []
    for repeat in range(args.repeats):
        order = args.workers if repeat % 2 == 0 else args.workers[::-1]
        for workers in order:
            print(f"[{repeat + 1}/{args.repeats}] {workers} worker(s) ...", flush=True)
            runs.append(measure(args.task, str(data_dir), workers, args.scratch_dir))
            print(f"  pipeline {runs[-1]['pipeline_seconds']}s, components "
                  f"{runs[-1]['component_seconds']}", flush=True)
    payload = {"task": args.task, "data_dir": str(data_dir), "examples": runs[0]["examples"],
               "worker_counts": args.workers, "repeats": args.repeats, "runs": runs,
               "summary": summarize(runs, args.workers), "machine": common.machine(),
               "load_average_before": load_before, "page_cache_warm_seconds": round(
                   warm_seconds, 1)}
    write_results(args.results_dir, payload, table(runs))
    print(json.dumps(payload["summary"], indent=2))
    print(f"wrote {args.results_dir / NAME}.json and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
