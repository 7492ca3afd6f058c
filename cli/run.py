"""`tfx-text run TASK ...` (the pipeline on Apache Beam, locally) and `tfx-text models`.

Flags only override what the user gives; every default lives in core/config.py and the zoo's
book settings, and pipeline/configure.py turns the flags into the checked TrainConfig.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys

from cli import flags
from cli.exit_codes import ExitCode
from core import config as config_lib
from core import tasks

DEFAULT_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "tfx-text-pipelines")


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Adds `run` and `models`; each sets `handler` (args -> exit code)."""
    run = commands.add_parser("run", help="run a task's pipeline locally on Apache Beam")
    run.add_argument("task", choices=tasks.TASK_NAMES)
    run.add_argument("--data-dir", type=pathlib.Path,
                     help="local data: for imdb an aclImdb folder, its parent, or the tarball; "
                          "for jena a .csv, .csv.gz or .zip file or a folder holding one; "
                          "default: download from the canonical URL")
    run.add_argument("--output-dir", default="outputs",
                     help="pipeline root, MLMD and pushed models go here (default: outputs)")
    run.add_argument("--serving-root", help="Pusher target root (default: OUTPUT_DIR/serving)")
    run.add_argument("--cache-dir", default=DEFAULT_CACHE,
                     help=f"downloads and extracted archives (default: {DEFAULT_CACHE})")
    flags.add_config_arguments(run)
    run.add_argument("--beam-workers", type=int,
                     help="Beam direct runner processes (multi_processing when > 1)")
    run.add_argument("--beam-arg", action="append", default=[], dest="beam_args",
                     help="extra Beam pipeline option, repeatable (e.g. --beam-arg=--runner=...)")
    run.add_argument("--schema", dest="schema_path",
                     help="curated schema.pbtxt instead of an inferred one")
    run.add_argument("--no-cache", action="store_true", help="re-run every component")
    run.add_argument("--tune", action="store_true",
                     help="search units, dropout, recurrent dropout and learning rate with a "
                          "Tuner first; the best trial feeds the Trainer (imdb_lstm, jena_gru)")
    run.add_argument("--tune-trials", type=int,
                     help="--tune: trials to run (default: TuneConfig.max_trials)")
    run.set_defaults(handler=run_command)
    listing = commands.add_parser("models", help="list the model zoo with the book's numbers")
    listing.add_argument("--task", choices=tasks.TASK_NAMES)
    listing.set_defaults(handler=models_command)


def model_names(args: argparse.Namespace) -> list[str]:
    """Full zoo names from the repeated / comma-separated --model flags (default: the task's)."""
    from pipeline import configure  # loads Keras: not needed for --help

    return configure.model_names(args.task, flags.given_models(args))


def config_from_args(args: argparse.Namespace, data_root: str,
                     model: str | None = None) -> config_lib.PipelineConfig:
    """Maps `run`'s flags onto the PipelineConfig (pipeline/configure.py's resolver).

    Args:
      model: the zoo model to configure; default: the only one given by --model (or the task's).
    """
    from pipeline import configure  # loads Keras: not needed for --help

    if model is None:
        names = model_names(args)
        if len(names) > 1:
            raise ValueError(f"one model expected here, got {names}")
        model = names[0]
    return config_lib.PipelineConfig(
        task=args.task, data_root=data_root, output_dir=os.path.abspath(args.output_dir),
        serving_root=args.serving_root and os.path.abspath(args.serving_root),
        beam_args=tuple(args.beam_args), enable_cache=not args.no_cache,
        schema_path=args.schema_path,
        train=configure.train_config(args.task, model, flags.train_overrides(args)),
        eval=configure.eval_config(flags.eval_overrides(args)),
        tune=configure.tune_config(model, args.tune_trials) if args.tune else None,
        **({"beam_workers": args.beam_workers} if args.beam_workers is not None else {}))


def _configs(args: argparse.Namespace) -> list[config_lib.PipelineConfig]:
    """One PipelineConfig per requested model, with the data (and GloVe, if needed) resolved."""
    # GloVe lookup and the zoo load Keras: not needed for --help.
    from rawdata import glove
    from trainer import models

    names = model_names(args)
    data_root = tasks.load(tasks.get_task_spec(args.task).resolve_data)(
        args.data_dir, pathlib.Path(args.cache_dir))
    if args.glove_path is None and any(models.MODELS[n].needs_glove for n in names):
        args.glove_path = str(glove.resolve_glove(None, pathlib.Path(args.cache_dir)))
    elif args.glove_path is not None and "://" not in args.glove_path:
        args.glove_path = str(glove.resolve_glove(pathlib.Path(args.glove_path), None))
    return [config_from_args(args, str(data_root), name) for name in names]


def _format_models(outcomes, metric: str) -> str:
    """One line per model of a multi-model run: its test metric and whether it was blessed."""
    lines = [f"Models trained ({metric} of the Evaluator):"]
    for model, summary in outcomes:
        value = summary.metrics.get(metric)
        shown = "n/a" if value is None else f"{value:.4f}"
        verdict = {True: "blessed", False: "not blessed", None: "no verdict"}[summary.blessed]
        lines.append(f"  {model:<28} {shown:>8}  {verdict}")
    return "\n".join(lines)


def run_command(args: argparse.Namespace) -> int:
    """Runs the pipeline once per requested model (successive runs share the cached stages)."""
    # The TFX stack loads here, not at import: `tfx-text --help` and REST `predict` stay fast.
    from components.validation import DataAnomaliesError
    from pipeline import local_runner, results

    spec = tasks.get_task_spec(args.task)
    try:
        configs = _configs(args)
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return ExitCode.BAD_CONFIG
    outcomes = []
    for number, cfg in enumerate(configs, start=1):
        progress = f" [{number}/{len(configs)}]" if len(configs) > 1 else ""
        print(f"Running the {cfg.task} pipeline{progress} on {cfg.data_root} "
              f"(model {cfg.train.model}, outputs in {cfg.output_dir})", flush=True)
        try:
            outcome = local_runner.run(cfg)
        except (DataAnomaliesError, RuntimeError) as error:
            cause = error if isinstance(error, DataAnomaliesError) else error.__cause__
            if not isinstance(cause, DataAnomaliesError):
                raise
            print(f"error: {cause}", file=sys.stderr)
            return ExitCode.DATA_ANOMALIES  # every later run would stop at the same gate
        print(results.format_summary(outcome, units=spec.metric_units), flush=True)
        outcomes.append((cfg.train.model, outcome))
    if len(outcomes) > 1:
        print(_format_models(outcomes, spec.report_metric))
        print(f"Leaderboard with the book's numbers: tfx-text report --output-dir "
              f"{configs[0].output_dir}")
    return ExitCode.OK


def models_command(args: argparse.Namespace) -> int:
    """Prints every zoo model: task, the book's number, the chapter reference, its defaults."""
    from trainer import models  # loads Keras: not needed for --help

    for name, spec in models.MODELS.items():
        if args.task and spec.task != args.task:
            continue
        metric = tasks.get_task_spec(spec.task).report_metric
        book = "-" if spec.book is None else f"{metric} {spec.book:g}"
        role = "" if spec.trainable else " (fixed baseline)"
        print(f"{name}{role}\n    book: {book}; {spec.reference}")
        if spec.defaults:
            print(f"    defaults: {spec.defaults}")
    return 0
