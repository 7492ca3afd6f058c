"""The `report` command's rendering, row selection and errors, on hand-built rows and runs."""

from __future__ import annotations

import argparse
import re

import pytest

from cli import report as report_cli
from pipeline import report, report_plots, report_render
from pipeline.report_rows import Row

IMDB_HISTORY = {"loss": [0.6, 0.4, 0.3], "accuracy": [0.6, 0.8, 0.9],
                "val_loss": [0.5, 0.35, 0.4], "val_accuracy": [0.7, 0.86, 0.85]}
JENA_HISTORY = {"loss": [0.4, 0.3], "mae_degc": [3.5, 2.7],
                "val_loss": [0.33, 0.29], "val_mae_degc": [2.9, 2.6]}


def _rows() -> list[Row]:
    return [
        Row("imdb", "imdb_gru", "2026-01-02T10:00:00.000001", metric=0.87,
            extra_metrics={"auc": 0.93}, book=None, params=20_000, epochs_run=3, best_epoch=2,
            train_seconds=12.5, model_uri="/imdb/Trainer/model/2", history=IMDB_HISTORY),
        Row("imdb", "imdb_lstm", "2026-01-03T10:00:00.000001", metric=0.87,
            extra_metrics={"auc": 0.94}, book=0.89, book_reference="DLwP 6.2.3: ~89% val",
            baseline_model="imdb_gru (last blessed)", baseline_metric=0.85, blessed=True,
            params=328_417, epochs_run=3, best_epoch=2, train_seconds=61.0,
            model_uri="/imdb/Trainer/model/3", history=IMDB_HISTORY),
        Row("imdb", "imdb_conv1d", "2026-01-04T10:00:00.000001", model_uri="/imdb/c"),
        Row("jena", "jena_dense", "2026-01-01T09:00:00", metric=2.9, book=2.65,
            baseline_model="jena_common_sense", baseline_metric=2.6, blessed=False,
            params=1_000, epochs_run=2, best_epoch=2, model_uri="/jena/d",
            history=JENA_HISTORY),
        Row("jena", "jena_gru", "2026-01-01T10:00:00", metric=2.3, book=2.35,
            baseline_model="jena_common_sense", baseline_metric=2.6, blessed=True,
            params=4_353, epochs_run=2, best_epoch=2, train_seconds=30.0, model_uri="/jena/g",
            history=JENA_HISTORY),
    ]


def _table(markdown: str, title: str) -> list[list[str]]:
    section = markdown.split(f"## {title}")[1].split("## ")[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def test_markdown_tables_carry_units_values_and_signed_deltas():
    markdown = report_render.render_markdown(_rows())
    imdb = _table(markdown, "IMDB")
    assert imdb[0] == ["model", "run", "test accuracy", "AUC", "book", "Δ vs book", "baseline",
                       "baseline accuracy", "Δ vs baseline", "blessed", "params",
                       "epochs (best)", "train time (s)"]
    rows = {cells[0]: dict(zip(imdb[0], cells, strict=True)) for cells in imdb[2:]}
    # Best first; equal accuracy ties by name; the model without metrics comes last.
    assert list(rows) == ["`imdb_gru`", "`imdb_lstm`", "`imdb_conv1d`"]
    lstm = rows["`imdb_lstm`"]
    assert lstm["test accuracy"] == "0.8700" and lstm["AUC"] == "0.9400"
    assert lstm["book"] == "0.8900" and lstm["Δ vs book"] == "-0.0200"
    assert lstm["baseline accuracy"] == "0.8500" and lstm["Δ vs baseline"] == "+0.0200"
    assert lstm["blessed"] == "yes" and lstm["params"] == "328,417"
    assert lstm["epochs (best)"] == "3 (2)" and lstm["train time (s)"] == "61.0"
    assert lstm["run"] == "2026-01-03 10:00:00"
    conv = rows["`imdb_conv1d`"]  # a run whose Evaluator failed: empty cells, still listed
    assert all(conv[name] == "" for name in imdb[0][2:])
    assert rows["`imdb_gru`"]["book"] == "" and rows["`imdb_gru`"]["blessed"] == ""

    jena = _table(markdown, "Jena")
    assert jena[0][2:6] == ["test MAE (°C)", "book (°C)", "Δ vs book (°C)", "baseline"]
    assert [cells[0] for cells in jena[2:]] == ["`jena_gru`", "`jena_dense`"]  # MAE ascending
    gru = dict(zip(jena[0], jena[2], strict=True))
    assert gru["Δ vs book (°C)"] == "-0.0500" and gru["Δ vs baseline (°C)"] == "-0.3000"
    assert gru["baseline"] == "jena_common_sense" and gru["blessed"] == "yes"
    assert "full 2009–2016 series" in markdown
    assert "DLwP 6.2.3: ~89% val" in markdown


def test_html_is_self_contained_with_embedded_png_plots(tmp_path):
    paths = report.write_report(_rows(), str(tmp_path / "report"))
    page = (tmp_path / "report" / "leaderboard.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 4  # metric bars and curves per task
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", page, re.IGNORECASE)
    assert "<script" not in page and "<link" not in page and "<style>" in page
    assert "<td>imdb_lstm</td>" in page and 'class="num better">+0.0200' in page
    for name in ("imdb_metric", "imdb_curves", "jena_metric", "jena_curves"):
        with open(paths[name], "rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_curves_are_skipped_without_history():
    rows = [Row("jena", "jena_gru", "r1", metric=2.3)]
    assert report_plots.training_curves_png("jena", rows) is None
    assert report_plots.metric_bars_png("jena", rows).startswith(b"\x89PNG")


def test_json_round_trip(tmp_path):
    path = str(tmp_path / "leaderboard.json")
    report_render.write_rows_json(_rows(), path)
    assert report_render.read_rows_json(path) == report_render.sort_rows(_rows())
    import json

    with open(path, encoding="utf-8") as handle:
        raw = json.load(handle)["rows"]
    assert {row["model"]: row["delta_baseline"] for row in raw}["imdb_lstm"] == pytest.approx(
        0.02)


def test_select_rows_dedupes_reused_models_and_keeps_the_latest_run():
    first = Row("imdb", "imdb_lstm", "run1", metric=0.80, model_uri="/m/1")
    cached = Row("imdb", "imdb_lstm", "run2", metric=0.80, model_uri="/m/1")  # Trainer cached
    retrained = Row("imdb", "imdb_lstm", "run3", metric=0.85, model_uri="/m/3")
    cached_again = Row("imdb", "imdb_lstm", "run4", metric=0.80, model_uri="/m/1")
    other = Row("imdb", "imdb_gru", "run2b", metric=0.82, model_uri="/m/2")
    rows = [first, cached, other, retrained]
    assert report.select_rows(rows, all_runs=True) == [retrained, other, cached]
    assert report.select_rows(rows) == [retrained, other]
    # The latest run re-used the first model: it is the latest imdb_lstm.
    assert report.select_rows(rows + [cached_again]) == [other, cached_again]


def _summary(run_id, artifacts, evaluations):
    from pipeline import results

    return results.RunSummary(run_id, artifacts, [], {}, {}, {}, None, [], None, evaluations)


def test_rows_from_summaries_reads_candidates_baselines_and_blessings():
    from pipeline import results

    trainings = {
        "/p/Trainer/model_run/1": {"model": "jena_gru", "epochs_run": 2, "history": JENA_HISTORY,
                                   "params": 4353, "train_seconds": 9.5},
        "/p/FixedBaseline/model_run/2": {"model": "jena_common_sense", "epochs_run": 0,
                                         "history": {}, "params": 0},
    }
    trainer = {"model": "/p/Trainer/model/1", "model_run": "/p/Trainer/model_run/1"}
    fixed = {"model": "/p/FixedBaseline/model/2", "model_run": "/p/FixedBaseline/model_run/2"}
    evaluations = {
        "Evaluator": results.Evaluation({"mean_absolute_error": 1.3}, {}, None, True, []),
        "BaselineEvaluator": results.Evaluation(
            {"mean_absolute_error": 1.3}, {"mean_absolute_error": 1.6},
            "/p/FixedBaseline/model/2", False, ["worse"]),
    }
    summaries = [
        _summary("r1", {"Trainer": trainer, "FixedBaseline": fixed}, evaluations),
        # Trainer cached, the Evaluator failed: no evaluation, no blessing.
        _summary("r2", {"Trainer": trainer, "FixedBaseline": fixed}, {}),
        _summary("r3", {"JenaExampleGen": {"examples": "/p/e"}}, {}),  # stopped before training
    ]
    rows = report.rows_from_summaries("jena", summaries, trainings.get,
                                      lambda model: (2.35, "DLwP 6.3.5"))
    assert [(row.run_id, row.model) for row in rows] == [("r1", "jena_gru"), ("r2", "jena_gru")]
    first, failed = rows
    assert (first.metric, first.baseline_metric, first.baseline_model) == (
        1.3, 1.6, "jena_common_sense")
    assert first.blessed is False  # the BaselineEvaluator said no
    assert (first.params, first.epochs_run, first.best_epoch, first.train_seconds) == (
        4353, 2, 2, 9.5)
    assert first.book == 2.35 and first.history == JENA_HISTORY
    assert failed.metric is None and failed.blessed is None and failed.baseline_model is None
    assert report.select_rows(rows) == [failed]  # the same model artifact: its latest run


def test_imdb_baseline_is_the_last_pushed_candidate():
    import dataclasses

    from pipeline import results

    def trainer(n):
        return {"model": f"/p/Trainer/model/{n}", "model_run": f"/p/Trainer/model_run/{n}"}

    # r2's Evaluator compared with LatestPushedBaseline's copy of the version r1 pushed.
    summaries = [
        dataclasses.replace(_summary("r1", {"Trainer": trainer(1)}, {
            "Evaluator": results.Evaluation({"binary_accuracy": 0.8, "auc": 0.9}, {}, None,
                                            True, [])}), pushed_to="/serving/imdb/100"),
        _summary("r2", {"Trainer": trainer(2)}, {"Evaluator": results.Evaluation(
            {"binary_accuracy": 0.82}, {"binary_accuracy": 0.8},
            "/p/LatestPushedBaseline/baseline/5", True, [], "/serving/imdb/100")}),
    ]
    names = {"/p/Trainer/model_run/1": {"model": "imdb_gru"},
             "/p/Trainer/model_run/2": {"model": "imdb_lstm"}}
    rows = report.rows_from_summaries("imdb", summaries, names.get, lambda _: (None, ""))
    assert rows[0].extra_metrics == {"auc": 0.9} and rows[0].baseline_model is None
    assert rows[1].baseline_model == "imdb_gru (last blessed)"
    assert rows[1].delta_baseline == pytest.approx(0.02) and rows[1].extra_metrics == {}


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    report_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["report", *argv])


def test_parser_defaults_and_handler():
    args = _args()
    assert args.handler is report_cli.run
    assert (args.output_dir, args.tasks, args.report_dir, args.all_runs) == (
        ["outputs"], None, None, False)
    args = _args("--output-dir", "a", "b", "--task", "jena", "--all-runs")
    assert args.output_dir == ["a", "b"] and args.tasks == ["jena"] and args.all_runs


def test_error_when_no_metadata_store(tmp_path, capsys):
    assert report_cli.run(_args("--output-dir", str(tmp_path))) == 2
    assert "no metadata store" in capsys.readouterr().err
    with pytest.raises(report.ReportError):
        report.find_stores([str(tmp_path)], ["imdb"])


def test_error_when_no_run_trained_a_model(tmp_path, capsys):
    from ml_metadata import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    (tmp_path / "metadata").mkdir()
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = str(tmp_path / "metadata" / "imdb-pipeline.sqlite")
    metadata_store.MetadataStore(config)  # an empty store, as a run that failed at once
    assert report_cli.run(_args("--output-dir", str(tmp_path))) == 2
    assert "trained a model" in capsys.readouterr().err
    assert not (tmp_path / "report").exists()


def test_report_metrics_agree_with_the_pipeline():
    from core import config, names, tasks

    assert report.CANDIDATE_TRAINER == names.TRAINER
    cfg = config.PipelineConfig(task="jena", data_root="x", train=config.TrainConfig(
        task="jena", model="jena_gru", text=None, window=config.WindowConfig()))
    assert cfg.metadata_path.endswith("jena" + report.STORE_SUFFIX)
    for task, metric in report_render.TASK_METRICS.items():
        spec = tasks.get_task_spec(task)
        assert metric.unit == spec.metric_units.get(metric.name, "")
        assert (metric.name, metric.higher_is_better) == (
            spec.report_metric, spec.higher_is_better)
    assert set(report_render.TASK_METRICS) == set(tasks.TASKS)
