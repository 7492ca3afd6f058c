"""Command line: `python -m pipeline run imdb ...` (also installed as `tfx-text`).

Flags only override what the user gives; every default lives in `pipeline/config.py`.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import pathlib
import sys

from pipeline import config as config_lib

REPO_PACKAGES = ("components", "pipeline", "trainer", "transform")
DEFAULT_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "tfx-text-pipelines")


def code_version() -> str:
    """Hash of the pipeline's own sources: a code change invalidates TFX's cache."""
    root = pathlib.Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for package in REPO_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tfx-text", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a task's pipeline locally on Apache Beam")
    run.add_argument("task", choices=["imdb"])
    run.add_argument("--data-dir", type=pathlib.Path,
                     help="local data (aclImdb folder, its parent, or the tarball); "
                          "default: download from the canonical URL")
    run.add_argument("--output-dir", default="outputs",
                     help="pipeline root, MLMD and pushed models go here (default: outputs)")
    run.add_argument("--serving-root", help="Pusher target root (default: OUTPUT_DIR/serving)")
    run.add_argument("--cache-dir", default=DEFAULT_CACHE,
                     help=f"downloads and extracted archives (default: {DEFAULT_CACHE})")
    run.add_argument("--model", help="model name from the zoo (default: the task's)")
    run.add_argument("--epochs", type=int)
    run.add_argument("--batch-size", type=int)
    run.add_argument("--steps-per-epoch", type=int,
                     help="train steps per epoch (default: one pass over the train split)")
    run.add_argument("--max-tokens", type=int, help="vocabulary size (top_k words)")
    run.add_argument("--sequence-length", type=int, help="tokens kept per review")
    run.add_argument("--min-accuracy", type=float, help="accuracy needed for a blessing")
    run.add_argument("--max-regression", type=float,
                     help="allowed accuracy drop vs the latest blessed model")
    run.add_argument("--beam-workers", type=int,
                     help="Beam direct runner processes (multi_processing when > 1)")
    run.add_argument("--beam-arg", action="append", default=[], dest="beam_args",
                     help="extra Beam pipeline option, repeatable (e.g. --beam-arg=--runner=...)")
    run.add_argument("--schema", dest="schema_path",
                     help="curated schema.pbtxt instead of an inferred one")
    run.add_argument("--no-cache", action="store_true", help="re-run every component")
    return parser


def _given(args: argparse.Namespace, *names: str) -> dict:
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def config_from_args(args: argparse.Namespace, data_root: str) -> config_lib.PipelineConfig:
    """Maps CLI flags onto the config dataclasses, keeping their defaults for absent flags."""
    from pipeline import tasks

    spec = tasks.get_task_spec(args.task)
    text = config_lib.TextConfig(**_given(args, "max_tokens", "sequence_length"))
    train = config_lib.TrainConfig(
        task=args.task, model=args.model or spec.default_model, text=text,
        **_given(args, "epochs", "batch_size", "steps_per_epoch"))
    evaluation = config_lib.EvalConfig(**_given(args, "min_accuracy", "max_regression"))
    return config_lib.PipelineConfig(
        task=args.task, data_root=data_root, output_dir=os.path.abspath(args.output_dir),
        serving_root=args.serving_root and os.path.abspath(args.serving_root),
        beam_args=tuple(args.beam_args), enable_cache=not args.no_cache,
        schema_path=args.schema_path, code_version=code_version(), train=train,
        eval=evaluation, **_given(args, "beam_workers"))


def run_command(args: argparse.Namespace) -> int:
    from components import datasets
    from components.validation import DataAnomaliesError
    from pipeline import local_runner, results

    try:
        data_root = datasets.resolve_imdb(args.data_dir, pathlib.Path(args.cache_dir))
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
    print(results.format_summary(summary))
    return 0


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.command == "run":
        return run_command(args)
    raise AssertionError(args.command)



