"""`create_pipeline`: the one TFX graph for every task and every runner (local, Kubeflow).

ExampleGen -> StatisticsGen -> SchemaGen (or ImportSchemaGen) -> ExampleValidator -> AnomaliesGate
-> Transform -> Trainer -> Evaluator (vs the latest comparable blessed model) -> Canary (the
candidate served over REST and gRPC) -> Pusher (only when both blessed it).

Task options (core/tasks.py), none of which IMDB uses:
- `eval_examples`: the Evaluators read that component's examples (Jena: one per test window);
- `fixed_baseline`: a zoo model exported untrained by a second Trainer (`FixedBaseline`), a
  second Evaluator (`BaselineEvaluator`) judges the candidate against it, and `BlessingMerger`
  ANDs both blessings into the one the Pusher and the LatestBlessedModelResolver read;
- `comparable_on`: the resolver skips blessed models whose metadata differs (Jena: window).

Every component that runs the project's own code carries `code_version`, the hash of exactly
the modules it runs (core/code_version.py), so TFX's cache sees a change to that code.
"""

from __future__ import annotations

import dataclasses

from tfx import v1 as tfx
from tfx.dsl.components.base import executor_spec

from components import atomic_push, canary, latest_blessed, validation
from components import blessing as blessing_lib
from core import names, tasks
from core.code_version import code_version
from core.config import PipelineConfig, TrainConfig


@dataclasses.dataclass(frozen=True)
class RuntimeParameters:
    """Values an orchestrator fills in per run (Kubeflow V2); None keeps the value from `cfg`.

    TFX substitutes a RuntimeParameter only where it stands for a whole execution property, so
    the data location replaces ExampleGen's `input_base` and the training settings replace the
    Trainer's whole `custom_config` JSON (kubeflow/runner.py builds both).
    """

    data_root: tfx.dsl.experimental.RuntimeParameter | None = None
    trainer_custom_config: tfx.dsl.experimental.RuntimeParameter | None = None


def trainer_custom_config(train: TrainConfig, entry: str = tasks.RUN_FN) -> dict:
    """The Trainer's (or Tuner's) custom_config; `run_fn` reads its TrainConfig from "train".

    Its code version covers the entry point's module (`run_fn` or `tuner_fn`) and the task's
    trainer and zoo modules, which it loads by their registry paths.
    """
    spec = tasks.get_task_spec(train.task)
    modules = [tasks.module_of(path) for path in (entry, spec.trainer_task, spec.models)]
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
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    if cfg.schema_path:
        schema_gen = tfx.components.ImportSchemaGen(schema_file=cfg.schema_path)
    else:
        schema_gen = tfx.components.SchemaGen(
            statistics=statistics_gen.outputs["statistics"], infer_feature_shape=True)
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"])
    gate = validation.AnomaliesGate(anomalies=example_validator.outputs["anomalies"],
                                    code_version=code_version(validation.__name__))

    transform = tfx.components.Transform(
        examples=example_gen.outputs["examples"],
        schema=schema_gen.outputs["schema"],
        preprocessing_fn=spec.preprocessing_fn,
        splits_config=tfx.proto.SplitsConfig(
            analyze=["train"], transform=["train", "eval", "test"]),
        custom_config={key: train_config[key] for key in spec.transform_config_keys}
        | {"code_version": code_version(tasks.module_of(spec.preprocessing_fn))},
    )
    transform.add_upstream_node(gate)

    tuner = None if cfg.tune is None else tfx.components.Tuner(
        tuner_fn=tasks.TUNER_FN,
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=transform.outputs["post_transform_schema"],
        train_args=tfx.proto.TrainArgs(splits=["train"]),
        eval_args=tfx.proto.EvalArgs(splits=["eval"]),
        custom_config=trainer_custom_config(cfg.train, tasks.TUNER_FN)
        | {"tune": cfg.tune.to_dict()},
    ).with_id(names.TUNER)
    trainer = _trainer(
        transform, runtime.trainer_custom_config or trainer_custom_config(cfg.train),
        hyperparameters=tuner and tuner.outputs["best_hyperparameters"]).with_id(names.TRAINER)

    # The final blessing's producer: only its blessings (and the Trainer's models) count as
    # "latest blessed"; a fixed-baseline Evaluator's blessing alone must not.
    blessing_producer = names.BLESSING_MERGER if spec.fixed_baseline else names.EVALUATOR
    match = {part: getattr(cfg.train, part).to_dict() for part in spec.comparable_on}
    baseline_resolver = tfx.dsl.Resolver(
        # TFX's stock strategy where nothing needs matching, and on Kubeflow: the KFP v2
        # compiler knows only it (there, a changed Jena window needs a new pipeline root).
        **({"strategy_class": latest_blessed.LatestComparableBlessedModelStrategy,
            "config": {"match": match}}
           if spec.comparable_on and runtime.data_root is None else
           {"strategy_class": tfx.dsl.experimental.LatestBlessedModelStrategy}),
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model,
                              producer_component_id=names.TRAINER, output_key="model"),
        model_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing,
                                       producer_component_id=blessing_producer,
                                       output_key="blessing"),
    ).with_id(names.BASELINE_RESOLVER)

    extra = []
    eval_examples = example_gen.outputs["examples"]
    if spec.eval_examples:
        extra.append(tasks.load(spec.eval_examples)(
            cfg, example_gen.outputs["examples"], spec.eval_split))
        eval_examples = extra[-1].outputs["examples"]

    evaluator = tfx.components.Evaluator(
        examples=eval_examples,
        model=trainer.outputs["model"],
        baseline_model=baseline_resolver.outputs["model"],
        example_splits=[spec.eval_split],
        eval_config=tasks.load(spec.eval_config)(cfg.eval),
    ).with_id(names.EVALUATOR)
    blessing = evaluator.outputs["blessing"]

    if spec.fixed_baseline:
        stage = _fixed_baseline_stage(cfg, spec, transform, trainer, eval_examples, blessing)
        extra += stage
        blessing = stage[-1].outputs["blessing"]
    # The candidate served as deployed, over REST and gRPC: the Pusher needs its blessing too.
    extra.append(canary.create_canary(cfg, trainer.outputs["model"], eval_examples, blessing,
                                      spec.eval_split))
    blessing = extra[-1].outputs["blessing"]

    pusher = tfx.components.Pusher(
        model=trainer.outputs["model"],
        model_blessing=blessing,
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(base_directory=cfg.push_dir)),
        custom_executor_spec=executor_spec.ExecutorClassSpec(atomic_push.Executor),
        custom_config={"code_version": code_version(atomic_push.__name__)},
    )

    components = [example_gen, statistics_gen, schema_gen, example_validator, gate, transform,
                  *([tuner] if tuner else []), trainer, baseline_resolver, evaluator, *extra,
                  pusher]
    return tfx.dsl.Pipeline(
        pipeline_name=cfg.pipeline_name,
        pipeline_root=cfg.pipeline_root,
        components=components,
        enable_cache=cfg.enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=cfg.beam_pipeline_args,
    )


def _trainer(transform, custom_config, hyperparameters=None) -> tfx.components.Trainer:
    """A Trainer on the Transform's outputs (custom_config: a dict or a RuntimeParameter;
    hyperparameters: the Tuner's best, or None)."""
    return tfx.components.Trainer(
        hyperparameters=hyperparameters,
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
