"""Benchmark: the whole Jena pipeline at the real file's scale, on a GENERATED series.

The real 420,551-row file is not on this machine: bench/jena_series.py writes one of its exact
shape (header, 15 columns, 10-minute steps, seasonal and daily cycles, sentinels, 217 missing
steps in a few gaps). Its figures are for time and memory only, never for accuracy.

The pipeline runs once with the book's window (720/6/144, batch 128, the GRU, 1 epoch) and each
`--window-stride` after the first re-runs only what the stride changes (window examples, both
Evaluators, the merger, the Pusher; the rest is cached), so the evaluation's cost is measured
side by side for every stride. Recorded per run: each component's wall time (MLMD: creation to
last update of its execution), peak RSS of the whole process tree, the window examples' count
and size on disk, and TFMA's time (both Evaluators).

Writes bench/results/jena_scale.{json,md}.
Usage: python -m bench.jena_scale [--strides 1,6] [--epochs 1] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import sys
import tempfile

from bench import common, jena_series

REPO = pathlib.Path(__file__).resolve().parents[1]
BOOK = ("--lookback", "720", "--step", "6", "--delay", "144", "--batch-size", "128")
NOTICE = ("GENERATED series of the real file's shape (bench/jena_series.py): figures for time "
          "and memory only, never for accuracy")


def component_seconds(metadata_path: str) -> dict[str, dict]:
    """{node id: {"seconds", "cached"}} of the store's latest pipeline run."""
    from ml_metadata.proto import metadata_store_pb2

    from pipeline import results

    store = results._store(metadata_path)
    run = results.pipeline_runs(metadata_path)[-1]
    timings = {}
    for execution in store.get_executions_by_context(run.id):
        nodes = [c.name.split(".", 1)[1] for c in store.get_contexts_by_execution(execution.id)
                 if c.type == "node"]
        elapsed = execution.last_update_time_since_epoch - execution.create_time_since_epoch
        timings[nodes[0] if nodes else str(execution.id)] = {
            "seconds": round(elapsed / 1000, 1),
            "cached": execution.last_known_state == metadata_store_pb2.Execution.CACHED}
    return timings


def window_examples(metadata_path: str) -> dict:
    """Count and on-disk size of the latest run's window examples."""
    from core import names
    from pipeline import results

    _, outputs, _ = results.latest_run_outputs(metadata_path)
    artifact = outputs[names.WINDOW_EXAMPLES]["examples"][0]
    size = sum(p.stat().st_size for p in pathlib.Path(artifact.uri).rglob("*") if p.is_file())
    return {"windows": artifact.custom_properties["windows"].int_value,
            "bytes_on_disk": size, "mb_on_disk": round(size / 2**20, 1)}


def run_pipeline(csv_path: pathlib.Path, work: pathlib.Path, stride: int, epochs: int) -> dict:
    from pipeline import results

    args = [*BOOK, "--epochs", str(epochs), "--model", "gru", "--window-stride", str(stride)]
    log = work / f"pipeline-stride{stride}.log"
    run = common.run_measured(
        [sys.executable, "-m", "cli", "run", "jena", "--data-dir", str(csv_path),
         "--output-dir", str(work / "outputs"), "--cache-dir", str(work / "cache"), *args],
        log, env={"PYTHONPATH": str(REPO), "TF_USE_LEGACY_KERAS": "1"})
    if run["returncode"]:
        sys.exit(f"pipeline failed ({run['returncode']}), see {log}")
    metadata = str(work / "outputs" / "metadata" / "jena-pipeline.sqlite")
    timings = component_seconds(metadata)
    summary = results.summarize(metadata)
    against = summary.evaluations["BaselineEvaluator"]
    tfma = sum(timings[n]["seconds"] for n in ("Evaluator", "BaselineEvaluator") if n in timings)
    return {**run, "args": " ".join(args), "window_stride": stride, "components": timings,
            "tfma_seconds": round(tfma, 1), "window_examples": window_examples(metadata),
            "blessed": summary.blessed,
            "model_mae_degc": round(against.metrics["mean_absolute_error"], 4),
            "baseline_mae_degc": round(against.baseline_metrics["mean_absolute_error"], 4)}


def table(payload: dict) -> list[list[str]]:
    runs = payload["runs"]
    rows = [["", *[f"stride {run['window_stride']}" for run in runs]]]
    rows.append(["what ran", *["whole pipeline" if i == 0 else "cache hits up to Trainer"
                               for i, _ in enumerate(runs)]])
    rows.append(["wall (s)", *[str(run["wall_seconds"]) for run in runs]])
    rows.append(["peak RSS (MB)", *[str(run["peak_rss_mb"]) for run in runs]])
    rows.append(["window examples", *[
        f"{run['window_examples']['windows']} ({run['window_examples']['mb_on_disk']} MB)"
        for run in runs]])
    rows.append(["TFMA, both Evaluators (s)", *[str(run["tfma_seconds"]) for run in runs]])
    for node in runs[0]["components"]:
        rows.append([f"{node} (s)", *[
            f"{run['components'].get(node, {}).get('seconds', '-')}"
            + (" cached" if run["components"].get(node, {}).get("cached") else "")
            for run in runs]])
    rows.append(["MAE GRU / common sense (°C, not meaningful: generated)", *[
        f"{run['model_mae_degc']} / {run['baseline_mae_degc']}" for run in runs]])
    return rows


def write(series: dict, runs: list[dict]) -> pathlib.Path:
    payload = {"notice": NOTICE, "machine": common.machine(), "series": series, "runs": runs}
    markdown = common.write_results("jena_scale", payload, table(payload))
    markdown.write_text(markdown.read_text() + f"\n{NOTICE}.\n")
    return markdown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strides", default="1,6",
                        help="comma-separated --window-stride values; the first runs it all")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rows", type=int, default=jena_series.ROWS,
                        help="rows to generate (default: the real file's 420,551)")
    parser.add_argument("--work", type=pathlib.Path, help="keep outputs here (default: temp)")
    args = parser.parse_args()
    print(NOTICE, flush=True)
    work = args.work or pathlib.Path(tempfile.mkdtemp(prefix="jena-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        csv_path = work / "data" / "jena_climate_2009_2016_GENERATED.csv"
        csv_path.parent.mkdir(exist_ok=True)
        series = jena_series.write_csv(csv_path, rows=args.rows)
        print(f"wrote {csv_path}: {series}", flush=True)
        runs = []
        for stride in (int(s) for s in args.strides.split(",")):
            print(f"pipeline, window stride {stride} ...", flush=True)
            runs.append(run_pipeline(csv_path, work, stride, args.epochs))
            print(json.dumps(runs[-1], indent=1), flush=True)
            markdown = write(series, runs)  # after each run: a later failure keeps these
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(markdown.read_text())


if __name__ == "__main__":
    main()
