"""Command line: `python -m pipeline run imdb|jena ...` (also installed as `tfx-text`).

Flags only override what the user gives; every default lives in `pipeline/config.py`.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import pathlib
import sys

from kubeflow import compile as kubeflow_compile
from pipeline import config as config_lib
from serving import cli as serving_cli

REPO_PACKAGES = ("components", "pipeline", "trainer", "transform")
DEFAULT_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "tfx-text-pipelines")
TASK_NAMES = ("imdb", "jena")  # pipeline.tasks.TASKS, without importing TFX for --help
# Flags that fill an optional TrainConfig part; a task that lacks the part rejects them.
PART_FLAGS = {"text": ("max_tokens", "sequence_length"), "window": ("lookback", "step", "delay")}


def code_version() -> str:
    """Hash of the pipeline's own sources: a code change invalidates TFX's cache."""
    root = pathlib.Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for package in REPO_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def add_config_arguments(parser) -> None:
    """Flags shared by `run` and `compile` that map onto the config dataclasses."""
    parser.add_argument("--model", help="model name from the zoo, with or without the task prefix "
                                         "(imdb: lstm, gru, bilstm, simple_rnn, conv1d, "
                                         "embedding_flatten; jena: dense, gru; default: the "
                                         "task's)")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--steps-per-epoch", type=int,
                        help="train steps per epoch (default: one pass over the train split)")
    parser.add_argument("--mixed-precision", action="store_true", default=None,
                        help="compute in float16 with float32 variables (for GPUs)")
    parser.add_argument("--max-tokens", type=int, help="vocabulary size (top_k words)")
    parser.add_argument("--sequence-length", type=int, help="tokens kept per review")
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
    kubeflow_compile.add_parser(commands)  # compile --target kubeflow
    serving_cli.add_parsers(commands)  # predict, serve
    return parser


def _given(args: argparse.Namespace, *names: str) -> dict:
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def config_from_args(args: argparse.Namespace, data_root: str) -> config_lib.PipelineConfig:
    """Maps CLI flags onto the config dataclasses, keeping their defaults for absent flags."""
    from pipeline import tasks
    from trainer import models

    spec = tasks.get_task_spec(args.task)
    part_types = {"text": config_lib.TextConfig, "window": config_lib.WindowConfig}
    model = models.resolve_model_name(args.model or spec.default_model, args.task)
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
                                       "mixed_precision")})
    evaluation = config_lib.EvalConfig(**_given(
        args, "min_accuracy", "max_regression", "baseline_margin", "window_stride"))
    return config_lib.PipelineConfig(
        task=args.task, data_root=data_root, output_dir=os.path.abspath(args.output_dir),
        serving_root=args.serving_root and os.path.abspath(args.serving_root),
        beam_args=tuple(args.beam_args), enable_cache=not args.no_cache,
        schema_path=args.schema_path, code_version=code_version(), train=train,
        eval=evaluation, **_given(args, "beam_workers"))


def run_command(args: argparse.Namespace) -> int:
    from components.validation import DataAnomaliesError
    from pipeline import local_runner, results, tasks

    spec = tasks.get_task_spec(args.task)
    try:
        data_root = spec.resolve_data(args.data_dir, pathlib.Path(args.cache_dir))
        cfg = config_from_args(args, str(data_root))
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Running the {cfg.task} pipeline on {cfg.data_root} "
          f"(model {cfg.train.model}, outputs in {cfg.output_dir})", flush=True)
    try:
        summary = local_runner.run(cfg)
    except DataAnomaliesError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except RuntimeError as error:
        if isinstance(error.__cause__, DataAnomaliesError):
            print(f"error: {error.__cause__}", file=sys.stderr)
            return 1
        raise
    print(results.format_summary(summary, units=spec.metric_units))
    return 0


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.command == "run":
        return run_command(args)
    if args.command == "compile":
        return kubeflow_compile.run(args)
    if args.command in ("predict", "serve"):
        return args.handler(args)
    raise AssertionError(args.command)



