"""`create_pipeline`: the one TFX graph for every task and every runner (local, Kubeflow).

ExampleGen -> StatisticsGen -> CuratedSchemaGen (the task's curated schema, or --schema) ->
ExampleValidator -> AnomaliesGate (also train vs eval/test drift) -> Transform -> Trainer ->
Evaluator (vs LatestPushedBaseline: the latest comparable pushed model, components/baseline.py)
-> Pusher (only when blessed).

Task options (core/tasks.py), none of which IMDB uses:
- `eval_examples`: the Evaluators read that component's examples (Jena: one per test window);
- `fixed_baseline`: a zoo model exported untrained by a second Trainer (`FixedBaseline`), a
  second Evaluator (`BaselineEvaluator`) judges the candidate against it, and `BlessingMerger`
  ANDs both blessings into the one the Pusher reads;
- `comparable_on`: the baseline picker skips pushed models whose metadata differs (Jena: window).

Every component that runs the project's own code carries `code_version`, the hash of exactly
the modules it runs (core/code_version.py), so TFX's cache sees a change to that code.
"""

from __future__ import annotations

import dataclasses
import json

from tfx import v1 as tfx
from tfx.dsl.components.base import executor_spec

from components import atomic_push, statistics, validation
from components import baseline as baseline_lib
from components import blessing as blessing_lib
from core import names, tasks
from core.code_version import code_version
from core.config import PipelineConfig, TrainConfig

# Nodes that read state outside their inputs (the push destination): every runner must run
# them each time (pipeline/local_runner.py, kubeflow/runner.py), never take them from a cache.
NEVER_CACHED = frozenset({names.BASELINE_PICKER})


@dataclasses.dataclass(frozen=True)
class RuntimeParameters:
    """Values an orchestrator fills in per run (Kubeflow V2); None keeps the value from `cfg`.

    TFX substitutes a RuntimeParameter only where it stands for a whole execution property, so
    the data location replaces ExampleGen's `input_base` and the training settings replace the
    Trainer's whole `custom_config` JSON (kubeflow/runner.py builds both).
    """

    data_root: tfx.dsl.experimental.RuntimeParameter | None = None
    trainer_custom_config: tfx.dsl.experimental.RuntimeParameter | None = None


def trainer_custom_config(train: TrainConfig) -> dict:
    """The Trainer's custom_config; `run_fn` reads its TrainConfig from the "train" key.

    Its code version covers `run_fn`'s module and the task's trainer and zoo modules, which
    `run_fn` loads by their registry paths.
    """
    spec = tasks.get_task_spec(train.task)
    modules = [tasks.module_of(path) for path in (tasks.RUN_FN, spec.trainer_task, spec.models)]
    return {"train": train.to_dict(), "code_version": code_version(*modules)}


def create_pipeline(
    cfg: PipelineConfig, metadata_connection_config=None,
    runtime: RuntimeParameters | None = None,
) -> tfx.dsl.Pipeline:
    """Builds the pipeline for `cfg.task` from the task registry.

    Args:
      metadata_connection_config: MLMD connection (the local runner's SQLite file); None for
        orchestrators that bring their own, such as Kubeflow.
      runtime: per-run parameters, for orchestrators that support them; None locally.
    """
    runtime = runtime or RuntimeParameters()
    spec = tasks.get_task_spec(cfg.task)
    spec.check(cfg.train)
    train_config = cfg.train.to_dict()
    # Task factories pass the data root on as ExampleGen's input_base (a str exec property).
    example_gen = tasks.load(spec.example_gen)(
        cfg.data_root if runtime.data_root is None else runtime.data_root, cfg.ingest)
    validation_nodes = _validation_stage(cfg, spec, example_gen.outputs["examples"])
    statistics_gen, inferred_schema_gen, _, _, gate = validation_nodes

    transform = tfx.components.Transform(
        examples=example_gen.outputs["examples"],
        schema=inferred_schema_gen.outputs["schema"],
        preprocessing_fn=spec.preprocessing_fn,
        # Only what the Trainer reads: the Evaluators score raw test examples through the
        # served graph, so a transformed test split was 25,000 IMDB reviews written for nothing.
        splits_config=tfx.proto.SplitsConfig(analyze=["train"], transform=["train", "eval"]),
        custom_config={key: train_config[key] for key in spec.transform_config_keys}
        | {"code_version": code_version(tasks.module_of(spec.preprocessing_fn))},
    )
    transform.add_upstream_node(gate)

    trainer = _trainer(
        transform, runtime.trainer_custom_config
        or trainer_custom_config(cfg.train)).with_id(names.TRAINER)

    # The latest pushed (so blessed) model of the same task and comparable parts, read from
    # the push destination: the same mechanism locally, on Kubeflow and on Vertex AI.
    match = {part: getattr(cfg.train, part).to_dict() for part in spec.comparable_on}
    baseline_picker = baseline_lib.LatestPushedBaseline(
        push_dir=cfg.push_dir, task=cfg.task, match=json.dumps(match, sort_keys=True),
        code_version=code_version(baseline_lib.__name__),
    ).with_id(names.BASELINE_PICKER)

    extra = []
    eval_examples = example_gen.outputs["examples"]
    if spec.eval_examples:
        extra.append(tasks.load(spec.eval_examples)(
            cfg, example_gen.outputs["examples"], spec.eval_split))
        extra[-1].add_upstream_node(gate)  # its windows feed the Evaluators: validated data only
        eval_examples = extra[-1].outputs["examples"]

    evaluator = baseline_lib.Evaluator(
        examples=eval_examples,
        model=trainer.outputs["model"],
        baseline_model=baseline_picker.outputs["baseline"],
        example_splits=[spec.eval_split],
        eval_config=tasks.load(spec.eval_config)(cfg.eval),
    ).with_id(names.EVALUATOR)
    blessing = evaluator.outputs["blessing"]

    if spec.fixed_baseline:
        stage = _fixed_baseline_stage(cfg, spec, transform, trainer, eval_examples, blessing)
        extra += stage
        blessing = stage[-1].outputs["blessing"]

    pusher = tfx.components.Pusher(
        model=trainer.outputs["model"],
        model_blessing=blessing,
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(base_directory=cfg.push_dir)),
        custom_executor_spec=executor_spec.ExecutorClassSpec(atomic_push.Executor),
        custom_config={"code_version": code_version(atomic_push.__name__)},
    )

    components = [example_gen, *validation_nodes, transform,
                  trainer, baseline_picker, evaluator, *extra, pusher]
    return tfx.dsl.Pipeline(
        pipeline_name=cfg.pipeline_name,
        pipeline_root=cfg.pipeline_root,
        components=components,
        enable_cache=cfg.enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=cfg.beam_pipeline_args,
    )


def _validation_stage(cfg: PipelineConfig, spec: tasks.TaskSpec, examples) -> list:
    """Statistics -> curated schema (CuratedSchemaGen) -> ExampleValidator -> AnomaliesGate.

    Statistics count the task's sentinel as missing and are sliced as its custom validations
    need (components/statistics.py). The curated schema (`--schema` or the task's) judges the
    data; Transform parses with a schema inferred from the examples at hand (SchemaGen),
    because the curated one also lists optional columns a file may lack (Jena's wind).

    Returns:
      [statistics, inferred schema, curated schema, ExampleValidator, gate].
    """
    if spec.statistics_sentinel is None:
        statistics_gen = tfx.components.StatisticsGen(
            examples=examples, stats_options=statistics.stats_options(spec.statistics_slices))
    else:
        statistics_gen = statistics.create_statistics_gen(
            examples, spec.statistics_sentinel, spec.statistics_slices)
    inferred = tfx.components.SchemaGen(
        statistics=statistics_gen.outputs["statistics"], infer_feature_shape=True)
    with open(cfg.schema_path or tasks.resource_path(spec.schema), encoding="utf-8") as handle:
        curated = validation.CuratedSchemaGen(schema_text=handle.read())
    checks = ""
    if spec.custom_validations:
        with open(tasks.resource_path(spec.custom_validations), encoding="utf-8") as handle:
            checks = handle.read()
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=curated.outputs["schema"])
    gate = validation.AnomaliesGate(
        anomalies=example_validator.outputs["anomalies"],
        statistics=statistics_gen.outputs["statistics"], schema=curated.outputs["schema"],
        checks=checks, code_version=code_version(validation.__name__))
    return [statistics_gen, inferred, curated, example_validator, gate]


def _trainer(transform, custom_config) -> tfx.components.Trainer:
    """A Trainer on the Transform's outputs (custom_config: a dict or a RuntimeParameter)."""
    return tfx.components.Trainer(
        run_fn=tasks.RUN_FN,
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=transform.outputs["post_transform_schema"],
        train_args=tfx.proto.TrainArgs(splits=["train"]),
        eval_args=tfx.proto.EvalArgs(splits=["eval"]),
        custom_config=custom_config,
    )


def _fixed_baseline_stage(cfg, spec, transform, trainer, eval_examples, evaluator_blessing):
    """FixedBaseline (untrained zoo model) -> BaselineEvaluator -> BlessingMerger (last).

    The baseline depends only on the task, its model and the input shape, so changing, say,
    epochs does not rebuild it.
    """
    baseline_config = TrainConfig(task=cfg.task, model=spec.fixed_baseline,
                                  text=cfg.train.text, window=cfg.train.window)
    fixed_baseline = _trainer(
        transform, trainer_custom_config(baseline_config)
    ).with_id(names.FIXED_BASELINE)
    baseline_evaluator = tfx.components.Evaluator(
        examples=eval_examples,
        model=trainer.outputs["model"],
        baseline_model=fixed_baseline.outputs["model"],
        example_splits=[spec.eval_split],
        eval_config=tasks.load(spec.baseline_eval_config)(cfg.eval),
    ).with_id(names.BASELINE_EVALUATOR)
    merger = blessing_lib.MergeBlessings(
        model=trainer.outputs["model"], evaluator_blessing=evaluator_blessing,
        baseline_blessing=baseline_evaluator.outputs["blessing"],
        code_version=code_version(blessing_lib.__name__),
    ).with_id(names.BLESSING_MERGER)
    return [fixed_baseline, baseline_evaluator, merger]
