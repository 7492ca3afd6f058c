"""`create_pipeline`: the one TFX graph for every task and every runner (local, Kubeflow).

ExampleGen -> StatisticsGen -> SchemaGen (or ImportSchemaGen) -> ExampleValidator -> AnomaliesGate
-> Transform -> Trainer -> Evaluator (vs the latest blessed model) -> Pusher (only when blessed).
"""

from __future__ import annotations

from tfx import v1 as tfx

from components.validation import AnomaliesGate
from pipeline import tasks
from pipeline.config import PipelineConfig


def create_pipeline(
    cfg: PipelineConfig, metadata_connection_config=None
) -> tfx.dsl.Pipeline:
    """Builds the pipeline for `cfg.task` from the task registry.

    Args:
      metadata_connection_config: MLMD connection (the local runner's SQLite file); None for
        orchestrators that bring their own, such as Kubeflow.
    """
    spec = tasks.get_task_spec(cfg.task)
    train_config = cfg.train.to_dict()
    example_gen = spec.example_gen(cfg)
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    if cfg.schema_path:
        schema_gen = tfx.components.ImportSchemaGen(schema_file=cfg.schema_path)
    else:
        schema_gen = tfx.components.SchemaGen(
            statistics=statistics_gen.outputs["statistics"], infer_feature_shape=True)
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"])
    gate = AnomaliesGate(anomalies=example_validator.outputs["anomalies"])

    transform = tfx.components.Transform(
        examples=example_gen.outputs["examples"],
        schema=schema_gen.outputs["schema"],
        preprocessing_fn=spec.preprocessing_fn,
        splits_config=tfx.proto.SplitsConfig(
            analyze=["train"], transform=["train", "eval", "test"]),
        custom_config={key: train_config[key] for key in spec.transform_config_keys}
        | {"code_version": cfg.code_version},
    )
    transform.add_upstream_node(gate)

    trainer = tfx.components.Trainer(
        run_fn=tasks.RUN_FN,
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=transform.outputs["post_transform_schema"],
        train_args=tfx.proto.TrainArgs(splits=["train"]),
        eval_args=tfx.proto.EvalArgs(splits=["eval"]),
        custom_config={"train": train_config, "code_version": cfg.code_version},
    )

    baseline_resolver = tfx.dsl.Resolver(
        strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy,
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        model_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
    ).with_id("LatestBlessedModelResolver")

    evaluator = tfx.components.Evaluator(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        baseline_model=baseline_resolver.outputs["model"],
        example_splits=[spec.eval_split],
        eval_config=spec.eval_config(cfg.eval),
    )

    pusher = tfx.components.Pusher(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(base_directory=cfg.push_dir)),
    )

    components = [example_gen, statistics_gen, schema_gen, example_validator, gate, transform,
                  trainer, baseline_resolver, evaluator, pusher]
    return tfx.dsl.Pipeline(
        pipeline_name=cfg.pipeline_name,
        pipeline_root=cfg.pipeline_root,
        components=components,
        enable_cache=cfg.enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=cfg.beam_pipeline_args,
    )

