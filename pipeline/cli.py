"""Command line: `python -m pipeline run imdb|jena ...` (also installed as `tfx-text`).

Flags only override what the user gives; every default lives in `pipeline/config.py`.
"""

from __future__ import annotations

import argparse
import logging
import os
import pathlib
import sys

from kubeflow import compile as kubeflow_compile
from pipeline import config as config_lib
from pipeline import report as report_cli
from serving import cli as serving_cli

DEFAULT_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "tfx-text-pipelines")
TASK_NAMES = ("imdb", "jena")  # pipeline.tasks.TASKS, without importing TFX for --help
# Flags that fill an optional TrainConfig part; a task that lacks the part rejects them.
PART_FLAGS = {"text": ("max_tokens", "sequence_length", "representation", "ngrams", "tokenizer"),
              "window": ("lookback", "step", "delay")}


def add_config_arguments(parser) -> None:
    """Flags shared by `run` and `compile` that map onto the config dataclasses."""
    parser.add_argument("--model", action="append", dest="models", metavar="MODEL",
                        help="zoo model, with or without the task prefix (default: the task's; "
                             "`tfx-text models` lists them). run: repeat it or give a comma "
                             "list to train several models in successive runs")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--dropout", type=float,
                        help="input dropout of recurrent layers (or before a dense head)")
    parser.add_argument("--recurrent-dropout", type=float,
                        help="recurrent dropout; > 0 rules out the cuDNN kernel")
    parser.add_argument("--max-train-examples", type=int,
                        help="train on a fixed N-example subset (imdb_glove: 200)")
    parser.add_argument("--glove", dest="glove_path",
                        help="imdb_glove: GloVe text file (word v1 ... vN, .txt or .txt.gz); "
                             "run downloads glove.6B.zip (100d) when it is not given")
    parser.add_argument("--steps-per-epoch", type=int,
                        help="train steps per epoch (default: one pass over the train split)")
    parser.add_argument("--mixed-precision", action="store_true", default=None,
                        help="compute in float16 with float32 variables (for GPUs)")
    parser.add_argument("--max-tokens", type=int, help="vocabulary size (top_k words)")
    parser.add_argument("--sequence-length", type=int, help="tokens kept per review")
    parser.add_argument("--representation", choices=config_lib.TEXT_REPRESENTATIONS,
                        help="Transform output: token sequences, or a tfidf / multi_hot bag of "
                             "n-grams (for imdb_bag_of_ngrams)")
    parser.add_argument("--ngrams", type=int, help="bags: longest n-gram (2: uni+bigrams)")
    parser.add_argument("--tokenizer", choices=config_lib.TOKENIZERS,
                        help="word tokens, or char: one token per character")
    parser.add_argument("--lookback", type=int,
                        help="jena: rows of history per window (10 min each)")
    parser.add_argument("--step", type=int, help="jena: rows between a window's observations")
    parser.add_argument("--delay", type=int,
                        help="jena: rows from the last observation to the forecast target")
    parser.add_argument("--min-accuracy", type=float, help="accuracy needed for a blessing")
    parser.add_argument("--max-regression", type=float,
                        help="allowed worsening vs the latest blessed model (imdb: accuracy drop, "
                             "jena: MAE rise in °C)")
    parser.add_argument("--baseline-margin", type=float,
                        help="jena: fraction of the common-sense baseline's MAE the model must "
                             "improve by (0: strictly better)")
    parser.add_argument("--window-stride", type=int,
                        help="jena: evaluate every N-th test window (1: all)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tfx-text", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a task's pipeline locally on Apache Beam")
    run.add_argument("task", choices=TASK_NAMES)
    run.add_argument("--data-dir", type=pathlib.Path,
                     help="local data: for imdb an aclImdb folder, its parent, or the tarball; "
                          "for jena a .csv, .csv.gz or .zip file or a folder holding one; "
                          "default: download from the canonical URL")
    run.add_argument("--output-dir", default="outputs",
                     help="pipeline root, MLMD and pushed models go here (default: outputs)")
    run.add_argument("--serving-root", help="Pusher target root (default: OUTPUT_DIR/serving)")
    run.add_argument("--cache-dir", default=DEFAULT_CACHE,
                     help=f"downloads and extracted archives (default: {DEFAULT_CACHE})")
    add_config_arguments(run)
    run.add_argument("--beam-workers", type=int,
                     help="Beam direct runner processes (multi_processing when > 1)")
    run.add_argument("--beam-arg", action="append", default=[], dest="beam_args",
                     help="extra Beam pipeline option, repeatable (e.g. --beam-arg=--runner=...)")
    run.add_argument("--schema", dest="schema_path",
                     help="curated schema.pbtxt instead of an inferred one")
    run.add_argument("--no-cache", action="store_true", help="re-run every component")
    listing = commands.add_parser("models", help="list the model zoo with the book's numbers")
    listing.add_argument("--task", choices=TASK_NAMES)
    kubeflow_compile.add_parser(commands)  # compile --target kubeflow
    serving_cli.add_parsers(commands)  # predict, serve
    report_cli.add_parser(commands)  # report
    return parser


def _given(args: argparse.Namespace, *names: str) -> dict:
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def model_names(args: argparse.Namespace) -> list[str]:
    """Full zoo names from the repeated / comma-separated --model flags (default: the task's)."""
    from pipeline import tasks
    from trainer import models

    given = [name.strip() for flag in (args.models or []) for name in flag.split(",")]
    names = [models.resolve_model_name(name, args.task) for name in given if name]
    names = names or [tasks.get_task_spec(args.task).default_model]
    return list(dict.fromkeys(names))  # de-duplicated, in the given order


def config_from_args(args: argparse.Namespace, data_root: str,
                     model: str | None = None) -> config_lib.PipelineConfig:
    """Maps CLI flags onto the config dataclasses, keeping their defaults for absent flags.

    Args:
      model: the zoo model to configure; default: the only one given by --model (or the task's).
    """
    from pipeline import tasks
    from trainer import models

    spec = tasks.get_task_spec(args.task)
    part_types = {"text": config_lib.TextConfig, "window": config_lib.WindowConfig}
    if model is None:
        names = model_names(args)
        if len(names) > 1:
            raise ValueError(f"one model expected here, got {names}")
        model = names[0]
    model = models.resolve_model_name(model, args.task)
    model_defaults = dict(models.get_model_spec(model, args.task).defaults)
    parts = {}
    for part, flags in PART_FLAGS.items():
        given = _given(args, *flags)
        if part in spec.train_parts:
            parts[part] = part_types[part](**{**model_defaults.pop(part, {}), **given})
        elif given:
            names = ", ".join("--" + name.replace("_", "-") for name in given)
            raise ValueError(f"{names} do not apply to task {args.task}")
        else:
            parts[part] = None
    train = config_lib.TrainConfig(
        task=args.task, model=model, **parts,
        **{**model_defaults, **_given(args, "epochs", "batch_size", "steps_per_epoch",
                                       "mixed_precision", "learning_rate", "dropout",
                                       "recurrent_dropout",
                                       "max_train_examples", "glove_path")})
    models.check_config(train)
    evaluation = config_lib.EvalConfig(**_given(
        args, "min_accuracy", "max_regression", "baseline_margin", "window_stride"))
    return config_lib.PipelineConfig(
        task=args.task, data_root=data_root, output_dir=os.path.abspath(args.output_dir),
        serving_root=args.serving_root and os.path.abspath(args.serving_root),
        beam_args=tuple(args.beam_args), enable_cache=not args.no_cache,
        schema_path=args.schema_path, train=train,
        eval=evaluation, **_given(args, "beam_workers"))


def _configs(args: argparse.Namespace) -> list[config_lib.PipelineConfig]:
    """One PipelineConfig per requested model, with the data (and GloVe, if needed) resolved."""
    from pipeline import tasks
    from rawdata import glove
    from trainer import models

    spec = tasks.get_task_spec(args.task)
    names = model_names(args)
    data_root = spec.resolve_data(args.data_dir, pathlib.Path(args.cache_dir))
    if args.glove_path is None and any(models.MODELS[n].needs_glove for n in names):
        args.glove_path = str(glove.resolve_glove(None, pathlib.Path(args.cache_dir)))
    elif args.glove_path is not None and "://" not in args.glove_path:
        args.glove_path = str(glove.resolve_glove(pathlib.Path(args.glove_path), None))
    return [config_from_args(args, str(data_root), name) for name in names]


def _run_one(cfg: config_lib.PipelineConfig):
    """Runs one pipeline; returns its summary, or the data-anomalies error that stopped it."""
    from components.validation import DataAnomaliesError
    from pipeline import local_runner

    try:
        return local_runner.run(cfg)
    except DataAnomaliesError as error:
        return error
    except RuntimeError as error:
        if isinstance(error.__cause__, DataAnomaliesError):
            return error.__cause__
        raise


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
    from pipeline import results, tasks

    spec = tasks.get_task_spec(args.task)
    try:
        configs = _configs(args)
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    outcomes = []
    for number, cfg in enumerate(configs, start=1):
        progress = f" [{number}/{len(configs)}]" if len(configs) > 1 else ""
        print(f"Running the {cfg.task} pipeline{progress} on {cfg.data_root} "
              f"(model {cfg.train.model}, outputs in {cfg.output_dir})", flush=True)
        outcome = _run_one(cfg)
        if isinstance(outcome, Exception):
            print(f"error: {outcome}", file=sys.stderr)
            return 1  # the data is at fault: every later run would stop at the same gate
        print(results.format_summary(outcome, units=spec.metric_units), flush=True)
        outcomes.append((cfg.train.model, outcome))
    if len(outcomes) > 1:
        print(_format_models(outcomes, spec.report_metric))
        print(f"Leaderboard with the book's numbers: tfx-text report --output-dir "
              f"{configs[0].output_dir}")
    return 0


def models_command(args: argparse.Namespace) -> int:
    """Prints every zoo model: task, the book's number, the chapter reference, its defaults."""
    from pipeline import tasks
    from trainer import models

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


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.command == "run":
        return run_command(args)
    if args.command == "models":
        return models_command(args)
    if args.command == "compile":
        return kubeflow_compile.run(args)
    if args.command in ("predict", "serve", "report"):
        return args.handler(args)
    raise AssertionError(args.command)



