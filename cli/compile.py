"""`tfx-text compile --target kubeflow|vertex ...`: compile a task's pipeline to a KFP v2 spec.

Flags map onto `PipelineConfig` exactly as for `run`, through the same resolver
(pipeline/configure.py); only the paths, the image and the Beam runner are specific to the
cluster. Nothing is read or downloaded at compile time: `--data-root` and `--pipeline-root`
are paths on the cluster. `kubeflow` is open-source Kubeflow Pipelines 2.x, `vertex` Vertex AI
Pipelines; the spec is the same, checked against each backend's constraints
(kubeflow/constraints.py) before it is written.
"""

from __future__ import annotations

import argparse
import sys

from cli import flags
from cli.exit_codes import ExitCode
from core import config as config_lib
from core import tasks
from kubeflow import beam_presets

TARGETS = ("kubeflow", "vertex")  # kubeflow/constraints.py TARGETS (loads TF: not for --help)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the compile flags to `parser`."""
    parser.add_argument("--target", choices=TARGETS, required=True,
                        help="kubeflow: open-source Kubeflow Pipelines 2.x; vertex: Vertex AI "
                             "Pipelines (docs/kubeflow.md)")
    parser.add_argument("--task", required=True, help="task name from core.tasks.TASKS")
    parser.add_argument("--image", required=True,
                        help="pipeline image for every component (built from kubeflow/Dockerfile)")
    parser.add_argument("--pipeline-root", required=True,
                        help="output root on the cluster, a gs:// bucket URL, laid out like "
                             "run's --output-dir: ROOT/pipeline_root/TASK-pipeline and "
                             "ROOT/serving/TASK")
    parser.add_argument("--data-root", required=True,
                        help="raw data folder on the cluster (imdb: the aclImdb folder; jena: "
                             "the folder holding jena_climate_2009_2016.csv); the default of "
                             "the data_root runtime parameter")
    parser.add_argument("--output", required=True,
                        help="FILE.json: PipelineJob (Vertex AI); FILE.yaml: PipelineSpec "
                             "(kfp.Client)")
    parser.add_argument("--serving-root",
                        help="Pusher target root, also where the Evaluator's baseline is read "
                             "(gs:// or a volume mounted in every pod; default: ROOT/serving)")
    config = parser.add_argument_group("pipeline config (as for run; defaults from the config)")
    flags.add_config_arguments(config)
    config.add_argument("--schema", dest="schema_path",
                        help="schema.pbtxt instead of the task's curated one (read now, "
                             "carried in the spec)")
    config.add_argument("--no-cache", action="store_true", help="disable KFP caching")
    beam = parser.add_argument_group("Beam (kubeflow/beam_presets.py)")
    beam.add_argument("--beam-runner", choices=beam_presets.RUNNERS, default="direct",
                      help="direct (default), portable, dataflow or flink")
    beam.add_argument("--beam-workers", type=int,
                      help="direct runner processes (multi_processing when > 1)")
    beam.add_argument("--job-endpoint", help="portable: Beam job service host:port")
    beam.add_argument("--worker-pool",
                      help=f"portable, flink: worker pool host:port "
                           f"(default {beam_presets.DEFAULT_WORKER_POOL})")
    beam.add_argument("--gcp-project", help="dataflow: Google Cloud project")
    beam.add_argument("--gcp-region", help="dataflow: region, e.g. us-central1")
    beam.add_argument("--temp-location", help="dataflow: gs:// temp folder")
    beam.add_argument("--flink-master", help="flink: JobManager REST endpoint host:port")
    beam.add_argument("--beam-arg", action="append", default=[], dest="beam_args",
                      help="extra Beam pipeline option, repeatable")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Adds the `compile` subcommand to a CLI's subparsers (see cli/main.py)."""
    parser = subparsers.add_parser("compile", help="compile a task's pipeline for Kubeflow "
                                   "Pipelines or Vertex AI",
                                   description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.set_defaults(handler=run)
    return parser


def _require(args: argparse.Namespace, runner: str, *names: str) -> None:
    missing = [f"--{name.replace('_', '-')}" for name in names if not getattr(args, name)]
    if missing:
        raise ValueError(f"--beam-runner {runner} needs {', '.join(missing)}")


def beam_args(args: argparse.Namespace) -> list[str]:
    """The chosen Beam preset's options followed by the --beam-arg extras."""
    worker_pool = args.worker_pool or beam_presets.DEFAULT_WORKER_POOL
    if args.beam_runner == "portable":
        _require(args, "portable", "job_endpoint")
        preset = beam_presets.portable(args.job_endpoint, worker_pool)
    elif args.beam_runner == "dataflow":
        _require(args, "dataflow", "gcp_project", "gcp_region", "temp_location")
        preset = beam_presets.dataflow(args.gcp_project, args.gcp_region, args.temp_location,
                                       args.image)
    elif args.beam_runner == "flink":
        _require(args, "flink", "flink_master")
        preset = beam_presets.flink(args.flink_master, worker_pool)
    else:
        preset = []
    return preset + list(args.beam_args)


def request_from_args(args: argparse.Namespace) -> dict:
    """What the Trainer's config is resolved from: the model and the training flags given."""
    from trainer import resolver  # loads Keras: not needed for --help

    return resolver.request(resolver.model_names(args.task, flags.given_models(args))[0],
                            flags.train_overrides(args))


def config_from_args(args: argparse.Namespace) -> config_lib.PipelineConfig:
    """Builds the PipelineConfig with `run`'s resolver, then sets the cluster paths.

    Raises:
      ValueError: unknown task, bad flag values or missing Beam runner settings.
    """
    from pipeline import configure  # loads Keras: not needed for --help
    from trainer import models

    tasks.get_task_spec(args.task)
    names = configure.model_names(args.task, flags.given_models(args))
    if len(names) > 1:
        raise ValueError(f"one model expected here (one per compiled pipeline), got {names}")
    train = configure.train_config(args.task, names[0], flags.train_overrides(args))
    if models.MODELS[train.model].needs_glove and not train.glove_path:
        raise ValueError(f"{train.model} needs --glove: a GloVe file the cluster can read "
                         "(e.g. gs://bucket/glove.6B.100d.txt)")
    return config_lib.PipelineConfig(
        task=args.task, data_root=args.data_root, output_dir=args.pipeline_root,
        serving_root=args.serving_root, beam_args=tuple(beam_args(args)),
        enable_cache=not args.no_cache, schema_path=args.schema_path, train=train,
        eval=configure.eval_config(flags.eval_overrides(args)),
        **({"beam_workers": args.beam_workers} if args.beam_workers is not None else {}))


def run(args: argparse.Namespace) -> int:
    """Compiles and writes the spec; returns the process exit code."""
    from kubeflow import runner  # loads TFX: not needed for --help

    try:
        cfg = config_from_args(args)
        job = runner.compile_pipeline(cfg, args.image, args.output, args.target,
                                      request_from_args(args))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return ExitCode.BAD_CONFIG
    spec = job["pipelineSpec"]
    parameters = sorted(spec["root"].get("inputDefinitions", {}).get("parameters", {}))
    print(f"Compiled the {cfg.task} pipeline for {args.target} "
          f"({len(spec['root']['dag']['tasks'])} tasks, image "
          f"{args.image}) to {args.output}\n  pipeline root {cfg.pipeline_root}\n"
          f"  runtime parameters {', '.join(parameters)}\n"
          f"  Beam args {' '.join(cfg.beam_pipeline_args)}\n"
          f"  executors {', '.join(sorted(set(runner.executor_kinds(job).values())))}")
    return ExitCode.OK
