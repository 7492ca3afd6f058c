"""Benchmark: the full IMDB TFX pipeline vs the same preprocessing and model in plain Keras.

Measures wall time and peak memory (summed RSS of each process tree) and test accuracy, and
writes bench/results/imdb_pipeline_vs_keras.{json,md}.
Usage: python bench/imdb_pipeline_vs_keras.py --data-dir ../shared/data/imdb [--epochs N]
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import sys
import tempfile

from bench import common

REPO = pathlib.Path(__file__).resolve().parents[1]


def component_seconds(metadata_path: str) -> dict[str, float]:
    """Seconds each component of the latest run took (MLMD execution create -> last update)."""
    from ml_metadata import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    from pipeline import results

    connection = metadata_store_pb2.ConnectionConfig()
    connection.sqlite.filename_uri = metadata_path
    store = metadata_store.MetadataStore(connection)
    seconds = {}
    for execution in store.get_executions_by_context(results.pipeline_runs(metadata_path)[-1].id):
        nodes = [c for c in store.get_contexts_by_execution(execution.id) if c.type == "node"]
        node = nodes[0].name.split(".", 1)[1] if nodes else str(execution.id)
        seconds[node] = round((execution.last_update_time_since_epoch
                               - execution.create_time_since_epoch) / 1000, 1)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=pathlib.Path, required=True)
    parser.add_argument("--epochs", type=int, help="default: TrainConfig's")
    parser.add_argument("--beam-workers", type=int, default=1)
    parser.add_argument("--work-dir", type=pathlib.Path,
                        help="pipeline outputs (default: a temporary folder, removed after)")
    args = parser.parse_args()
    epochs = ["--epochs", str(args.epochs)] if args.epochs else []
    work = args.work_dir or pathlib.Path(tempfile.mkdtemp(prefix="imdb-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    data_dir = str(args.data_dir.resolve())

    print(f"[1/2] TFX pipeline (outputs in {work}) ...", flush=True)
    pipeline = common.run_measured(
        [sys.executable, "-m", "cli", "run", "imdb", "--data-dir", data_dir,
         "--output-dir", str(work / "outputs"), "--no-cache",
         "--beam-workers", str(args.beam_workers), *epochs],
        work / "pipeline.log", env={"PYTHONPATH": str(REPO)})
    if pipeline["returncode"]:
        sys.exit(f"pipeline failed, see {work / 'pipeline.log'}")
    from pipeline import results

    summary = results.summarize(str(work / "outputs" / "metadata" / "imdb-pipeline.sqlite"))
    pipeline["test_accuracy"] = round(summary.metrics["binary_accuracy"], 4)
    pipeline["blessed"] = summary.blessed
    pipeline["component_seconds"] = component_seconds(
        str(work / "outputs" / "metadata" / "imdb-pipeline.sqlite"))

    print("[2/2] plain Keras script ...", flush=True)
    plain = common.run_measured(
        [sys.executable, str(REPO / "bench" / "plain_keras_imdb.py"), "--data-dir", data_dir,
         *epochs], work / "plain.log", env={"PYTHONPATH": str(REPO)})
    if plain["returncode"]:
        sys.exit(f"plain Keras script failed, see {work / 'plain.log'}")
    plain.update(json.loads((work / "plain.log").read_text().strip().splitlines()[-1]))

    payload = {"machine": common.machine(), "pipeline": pipeline, "plain_keras": plain,
               "wall_ratio_pipeline_over_plain": round(
                   pipeline["wall_seconds"] / plain["wall_seconds"], 2),
               "beam_workers": args.beam_workers, "epochs": args.epochs or "default"}
    table = [["run", "wall (s)", "peak RSS (MB)", "test accuracy"],
             ["TFX pipeline", str(pipeline["wall_seconds"]), str(pipeline["peak_rss_mb"]),
              f"{pipeline['test_accuracy']:.4f}"],
             ["plain Keras", str(plain["wall_seconds"]), str(plain["peak_rss_mb"]),
              f"{plain['test_accuracy']:.4f}"],
             ["ratio", str(payload["wall_ratio_pipeline_over_plain"]), "", ""]]
    table += [[f"component: {node}", str(seconds), "", ""]
              for node, seconds in pipeline["component_seconds"].items()]
    print(common.write_results("imdb_pipeline_vs_keras", payload, table).read_text())
    if not args.work_dir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
