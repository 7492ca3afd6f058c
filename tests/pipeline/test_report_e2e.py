"""The `report` command over the session's small IMDB and Jena pipeline runs (MLMD + TFMA).

Other tests may add runs to the same stores (the IMDB cache test retrains), so rows are matched
to the fixture's run by its Trainer's model artifact.
"""

from __future__ import annotations

import argparse
import json

import pytest

pytestmark = pytest.mark.e2e


def _run_report(*argv: str) -> int:
    from cli import report

    parser = argparse.ArgumentParser()
    report.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["report", *argv])
    return args.handler(args)


@pytest.fixture(scope="module")
def leaderboard(imdb_small_run, jena_small_run, tmp_path_factory):
    """Every run of both stores, in one report; returns (report folder, rows)."""
    from pipeline import report_render

    report_dir = tmp_path_factory.mktemp("report")
    assert _run_report("--output-dir", imdb_small_run[0].output_dir,
                       jena_small_run[0].output_dir, "--report-dir", str(report_dir),
                       "--all-runs") == 0
    return report_dir, report_render.read_rows_json(str(report_dir / "leaderboard.json"))


def _row_of(rows, summary):
    model_uri = summary.artifacts["Trainer"]["model"]
    matches = [row for row in rows if row.model_uri == model_uri]
    assert len(matches) == 1, [row.model_uri for row in rows]
    return matches[0]


def _training_summary(summary) -> dict:
    with open(f"{summary.artifacts['Trainer']['model_run']}/training_summary.json",
              encoding="utf-8") as handle:
        return json.load(handle)


def test_imdb_row_holds_the_runs_model_metrics_and_book_number(leaderboard, imdb_small_run):
    from trainer import models

    cfg, summary = imdb_small_run
    row = _row_of(leaderboard[1], summary)
    training = _training_summary(summary)
    evaluation = summary.evaluations["Evaluator"]
    assert (row.task, row.model) == ("imdb", cfg.train.model)
    assert row.metric == pytest.approx(evaluation.metrics["binary_accuracy"])
    assert row.extra_metrics["auc"] == pytest.approx(evaluation.metrics["auc"])
    assert row.book == models.MODELS[row.model].book
    assert row.book_reference == models.MODELS[row.model].reference
    assert row.baseline_metric is None and row.baseline_model is None  # the first run
    assert row.blessed is summary.blessed is True
    assert row.params == training["params"] > 0
    assert row.epochs_run == summary.training["Trainer"]["epochs_run"]
    assert row.best_epoch == summary.training["Trainer"]["best_epoch"]
    assert row.train_seconds == training.get("train_seconds")
    assert row.history == training["history"] and "val_accuracy" in row.history


def test_jena_row_is_judged_against_the_common_sense_baseline(leaderboard, jena_small_run):
    from trainer import models

    cfg, summary = jena_small_run
    rows = [row for row in leaderboard[1] if row.task == "jena"]
    assert [row.model for row in rows] == [cfg.train.model]  # not the FixedBaseline
    row = _row_of(rows, summary)
    assert row.metric == pytest.approx(summary.metrics["mean_absolute_error"])
    assert row.baseline_model == "jena_common_sense"
    assert row.baseline_metric == pytest.approx(summary.baseline_metrics["mean_absolute_error"])
    assert row.delta_baseline == pytest.approx(
        summary.metrics["mean_absolute_error"] - summary.baseline_metrics["mean_absolute_error"])
    assert row.book == models.MODELS["jena_gru"].book
    assert row.blessed is summary.blessed
    assert row.epochs_run == cfg.train.epochs and "val_mae_degc" in row.history


def test_report_files_are_written(leaderboard):
    report_dir, rows = leaderboard
    markdown = (report_dir / "leaderboard.md").read_text(encoding="utf-8")
    assert "## IMDB sentiment" in markdown and "## Jena temperature forecast" in markdown
    assert "test MAE (°C)" in markdown and "`jena_gru`" in markdown
    page = (report_dir / "leaderboard.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 4
    for name in ("imdb_metric", "imdb_curves", "jena_metric", "jena_curves"):
        assert (report_dir / f"{name}.png").read_bytes().startswith(b"\x89PNG")
    assert {row.task for row in rows} == {"imdb", "jena"}


def test_default_report_keeps_the_latest_run_per_model(imdb_small_run, tmp_path, capsys):
    from pipeline import report_render, results

    cfg, _ = imdb_small_run
    assert _run_report("--output-dir", cfg.output_dir, "--task", "imdb",
                       "--report-dir", str(tmp_path)) == 0
    printed = capsys.readouterr().out
    assert f"`{cfg.train.model}`" in printed and "leaderboard.html" in printed
    rows = report_render.read_rows_json(str(tmp_path / "leaderboard.json"))
    latest = results.summarize(cfg.metadata_path)
    assert [(row.model, row.run_id) for row in rows] == [(cfg.train.model, latest.run_id)]
    assert rows[0].metric == pytest.approx(latest.metrics["binary_accuracy"])
    assert rows[0].baseline_metric == latest.baseline_metrics.get("binary_accuracy")
