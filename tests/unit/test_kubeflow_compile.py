"""Kubeflow V2 compile: strict spec, same DAG as the local pipeline, runtime parameters, image.

Compiles in-process (no TFX run, nothing read from the data paths). The e2e-marked test runs
the CLI in a fresh process outside the repository to check determinism across processes and
that every module path in the spec imports from the installed package.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest
import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from cli import compile as kubeflow_compile
from cli.exit_codes import ExitCode
from core import tasks
from kubeflow import runner

# Every task compiles; the data_root runtime parameter is ExampleGen's input_base (for Jena a
# folder holding JenaIngestConfig.csv_name).
TASKS = ("imdb", "jena")
IMAGE = "europe-docker.pkg.dev/my-project/pipelines/tfx-text:1.0"
PIPELINE_ROOT = "gs://my-bucket/tfx-text"
DATA_ROOT = "gs://my-bucket/data/aclImdb"
ENTRYPOINT = ["python", "-m", "tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor"]
EXAMPLE_GEN_DRIVER = ["python", "-m", "tfx.orchestration.kubeflow.v2.file_based_example_gen.driver"]
# A model switched per run gets its zoo defaults (trainer/models/), as `run --model` does.
SWITCHED_MODEL = {"imdb": ("conv1d", {"learning_rate": 1e-4, "embedding_dim": 128}),
                  "jena": ("gru_dropout", {"dropout": 0.2, "recurrent_dropout": 0.2})}
# ...unless its defaults change what the data was compiled for (text, window).
DATA_CHANGING_MODEL = {"imdb": "bag_of_ngrams", "jena": "conv1d_gru"}


def parse_args(task: str, output: pathlib.Path, *extra: str,
               target: str = "kubeflow") -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    kubeflow_compile.add_arguments(parser)
    return parser.parse_args([
        "--target", target, "--task", task, "--image", IMAGE,
        "--pipeline-root", PIPELINE_ROOT, "--data-root", DATA_ROOT, "--output", str(output),
        "--epochs", "3", "--beam-workers", "2", *extra])


@pytest.fixture(scope="module", params=TASKS)
def compiled(request, tmp_path_factory):
    """(config, PipelineJob dict, path of the written JSON) for one task."""
    output = tmp_path_factory.mktemp(request.param) / "pipeline.json"
    args = parse_args(request.param, output)
    cfg = kubeflow_compile.config_from_args(args)
    job = runner.compile_pipeline(cfg, IMAGE, str(output), "kubeflow",
                                  kubeflow_compile.request_from_args(args))
    return cfg, job, output


def strict_spec(job: dict) -> pipeline_spec_pb2.PipelineSpec:
    spec = pipeline_spec_pb2.PipelineSpec()
    json_format.ParseDict(job["pipelineSpec"], spec)  # no ignore_unknown_fields
    return spec


def test_json_parses_strictly_into_pipeline_job(compiled):
    _, _, output = compiled
    job = pipeline_spec_pb2.PipelineJob()
    json_format.Parse(output.read_text(), job)  # strict: unknown fields raise
    # pipeline_spec is a Struct in PipelineJob; parse it strictly as a PipelineSpec too.
    spec = strict_spec(json_format.MessageToDict(job))
    assert spec.schema_version == "2.1.0"
    assert spec.sdk_version == "tfx-1.16.0"
    assert spec.default_pipeline_root == job.runtime_config.gcs_output_directory
    assert job.runtime_config.gcs_output_directory.startswith(PIPELINE_ROOT + "/")


def test_yaml_output_is_the_spec_kfp_client_loads(compiled, tmp_path):
    from kfp.client import client as kfp_client  # the loader Client.run_pipeline uses

    cfg, job, _ = compiled
    runner.write_spec(job, str(tmp_path / "pipeline.yaml"))
    loaded = kfp_client._extract_pipeline_yaml(str(tmp_path / "pipeline.yaml"))
    assert loaded.pipeline_spec == strict_spec(job)
    assert yaml.safe_load((tmp_path / "pipeline.yaml").read_text())["pipelineInfo"] == {
        "name": cfg.pipeline_name}


def test_dag_has_exactly_the_local_pipelines_components_and_dependencies(compiled):
    from pipeline.pipeline import create_pipeline

    cfg, job, _ = compiled
    local = create_pipeline(cfg)
    expected_deps = {node.id: {up.id for up in node.upstream_nodes} for node in local.components}
    expected_inputs = {
        node.id: {key: (channel.producer_component_id, channel.output_key)
                  for key, channel in node.inputs.items()}
        for node in local.components}

    deps: dict[str, set[str]] = {}
    for name, task in strict_spec(job).root.dag.tasks.items():
        wiring = {key: (spec.task_output_artifact.producer_task,
                        spec.task_output_artifact.output_artifact_key)
                  for key, spec in task.inputs.artifacts.items()}
        producers = {producer for producer, _ in wiring.values()}
        deps[name] = set(task.dependent_tasks) | producers
        assert producers <= set(task.dependent_tasks), name
        assert wiring == expected_inputs[name], name
    assert deps == expected_deps
    assert "LatestPushedBaseline" in deps["Evaluator"]


def test_every_task_runs_the_image_with_tfx_kfp_v2_entrypoint(compiled):
    cfg, job, _ = compiled
    spec = strict_spec(job)
    executors = spec.deployment_spec["executors"]
    for name, component in spec.components.items():
        container = executors[component.executor_label]["container"]
        assert container["image"] == IMAGE, name
        assert list(container["command"]) == ENTRYPOINT, name
        args = list(container["args"])
        assert args[0] == "--executor_class_path" and args[2:4] == [
            "--json_serialized_invocation_args", "{{$}}"], name
        assert args[-len(cfg.beam_pipeline_args):] == cfg.beam_pipeline_args, name
        if "lifecycle" in container:  # FileBasedExampleGen's driver runs before the cache check
            assert list(container["lifecycle"]["preCacheCheck"]["command"]) == EXAMPLE_GEN_DRIVER
    assert "--direct_running_mode=multi_processing" in cfg.beam_pipeline_args


def test_the_baseline_picker_is_never_taken_from_kfps_cache(compiled):
    _, job, _ = compiled
    tasks_ = strict_spec(job).root.dag.tasks
    assert not tasks_["LatestPushedBaseline"].caching_options.enable_cache
    assert all(task.caching_options.enable_cache for name, task in tasks_.items()
               if name != "LatestPushedBaseline")


def test_runtime_parameters_appear_with_defaults_and_feed_the_components(compiled):
    cfg, job, output = compiled
    spec = strict_spec(job)
    definitions = spec.root.input_definitions.parameters
    assert set(definitions) == {runner.DATA_ROOT, runner.TRAINER_CUSTOM_CONFIG}
    defaults = job["runtimeConfig"]["parameterValues"]
    for name, definition in definitions.items():
        assert definition.parameter_type == pipeline_spec_pb2.ParameterType.STRING
        assert definition.is_optional and definition.description
        assert definition.default_value.string_value == defaults[name]
    assert defaults[runner.DATA_ROOT] == DATA_ROOT

    tasks = {name: task for name, task in spec.root.dag.tasks.items()}
    example_gen = next(t for n, t in tasks.items() if n.endswith("ExampleGen"))
    assert example_gen.inputs.parameters["input_base"].component_input_parameter == (
        runner.DATA_ROOT)
    assert tasks["Trainer"].inputs.parameters["custom_config"].component_input_parameter == (
        runner.TRAINER_CUSTOM_CONFIG)
    # A RuntimeParameter left inside a JSON constant would be passed on unreplaced.
    assert "RuntimeParameter" not in output.read_text()


def test_trainer_default_is_what_run_fn_parses(compiled):
    from pipeline.pipeline import trainer_custom_config
    from trainer import resolver

    cfg, job, _ = compiled
    default = json.loads(job["runtimeConfig"]["parameterValues"][runner.TRAINER_CUSTOM_CONFIG])
    assert default == {**trainer_custom_config(cfg.train), "request": {
        "model": cfg.train.model, "overrides": {"epochs": 3}}}
    assert resolver.checked_train_config(default) == cfg.train  # run_fn's check at run start
    assert cfg.train.epochs == 3


def test_trainer_rejects_a_hand_built_config_at_run_start(compiled):
    """A whole custom_config passed by hand must not skip the zoo defaults or the checks."""
    from trainer import resolver

    cfg, job, _ = compiled
    default = json.loads(job["runtimeConfig"]["parameterValues"][runner.TRAINER_CUSTOM_CONFIG])
    model, book = SWITCHED_MODEL[cfg.task]
    skipped_defaults = {**default, "train": {**default["train"],
                                             "model": f"{cfg.task}_{model}"}}
    skipped_defaults["request"] = {**default["request"], "model": f"{cfg.task}_{model}"}
    with pytest.raises(ValueError, match="Trainer custom_config rejected.*resolves to") as error:
        resolver.checked_train_config(skipped_defaults)
    assert all(name in str(error.value) for name in book)
    # Without a request, the model's own checks still run: a bag model on token sequences,
    # a convnet on windows shorter than its kernels and pools need.
    unreadable = {"imdb": {"model": "imdb_bag_of_ngrams"},
                  "jena": {"model": "jena_conv1d",
                           "window": {"lookback": 48, "step": 6, "delay": 36}}}[cfg.task]
    with pytest.raises(ValueError, match="Trainer custom_config rejected: (imdb_bag|jena_conv)"):
        resolver.checked_train_config({"train": {**default["train"], **unreadable}})


def test_parameter_values_change_training_per_run_and_validate(compiled, tmp_path):
    from google.cloud.aiplatform.utils import pipeline_utils

    cfg, job, output = compiled
    runner.write_spec(job, str(tmp_path / "pipeline.yaml"))
    spec = runner.load_spec(str(output))
    assert runner.load_spec(str(tmp_path / "pipeline.yaml")) == spec
    values = runner.parameter_values(spec, epochs=1, batch_size=16,
                                     data_root="gs://other/aclImdb")  # a Jena folder alike
    train = json.loads(values[runner.TRAINER_CUSTOM_CONFIG])["train"]
    assert (train["epochs"], train["batch_size"], train["model"]) == (1, 16, cfg.train.model)
    assert values[runner.DATA_ROOT] == "gs://other/aclImdb"

    with pytest.raises(ValueError, match="fixed at compile time"):
        runner.parameter_values(spec, task="other")
    spec_parts = tasks.get_task_spec(cfg.task)
    part = sorted({*spec_parts.train_parts, *spec_parts.transform_config_keys})[0]  # text|window
    with pytest.raises(ValueError, match=rf"\['{part}'\] are fixed at compile time"):
        runner.parameter_values(spec, **{part: {}})
    with pytest.raises(ValueError, match=r"unknown training settings \['epoch'\]"):
        runner.parameter_values(spec, epoch=1)
    with pytest.raises(ValueError, match="epochs"):
        runner.parameter_values(spec, epochs=0)
    with pytest.raises(ValueError, match="model"):
        runner.parameter_values(spec, model="no_such_model")

    model, book = SWITCHED_MODEL[cfg.task]
    switched = json.loads(runner.parameter_values(spec, model=model)[
        runner.TRAINER_CUSTOM_CONFIG])
    assert switched["train"]["model"] == f"{cfg.task}_{model}"
    assert {name: switched["train"][name] for name in book} == book  # the zoo's defaults
    assert switched["train"]["epochs"] == 3  # the compile's override kept
    with pytest.raises(ValueError, match="compile again with this model"):
        runner.parameter_values(spec, model=DATA_CHANGING_MODEL[cfg.task])

    # Vertex AI's client merges the values over the compiled defaults and checks their names.
    builder = pipeline_utils.PipelineRuntimeConfigBuilder.from_job_spec_json(job)
    builder.update_runtime_parameters(values)
    assert builder.build()["parameterValues"] == values
    builder.update_runtime_parameters({"epochs": 1})
    with pytest.raises(ValueError, match="epochs"):
        builder.build()  # only the declared parameters exist


def spec_module_paths(job: dict) -> set[str]:
    """Dotted paths the containers import: executor classes, run_fn and preprocessing_fn."""
    spec = strict_spec(job)
    paths = set()
    for executor in job["pipelineSpec"]["deploymentSpec"]["executors"].values():
        args = list(executor.get("container", {}).get("args", []))
        if "--executor_class_path" in args:
            paths.add(args[args.index("--executor_class_path") + 1])
    for task in spec.root.dag.tasks.values():
        for key in ("run_fn", "preprocessing_fn"):
            if key in task.inputs.parameters:
                paths.add(task.inputs.parameters[key].runtime_value.constant.string_value)
    return paths


def test_every_module_path_in_the_spec_imports_from_the_installed_package(compiled):
    from importlib import metadata

    from tfx.utils import import_utils

    cfg, job, _ = compiled
    paths = spec_module_paths(job)
    assert {"trainer.run.run_fn", f"transform.{cfg.task}.preprocessing_fn"} <= paths
    project = set(metadata.distribution("tfx-text-pipelines").read_text("top_level.txt").split())
    for path in paths:
        module, name = path.rsplit(".", 1)
        top = module.split(".")[0]
        assert top in project or top == "tfx", path  # pip install . ships the project's ones
        assert callable(import_utils.import_func_from_module(module, name))


def test_compiling_twice_gives_the_same_bytes(compiled, tmp_path):
    cfg, _, output = compiled
    again = tmp_path / "again.json"
    runner.compile_pipeline(cfg, IMAGE, str(again))
    assert again.read_bytes() == output.read_bytes()


def test_cli_reports_bad_input_without_a_traceback(tmp_path, capsys):
    output = tmp_path / "x.json"
    assert kubeflow_compile.run(parse_args("no_such_task", output)) == ExitCode.BAD_CONFIG
    assert "unknown task 'no_such_task'" in capsys.readouterr().err
    assert kubeflow_compile.run(parse_args("imdb", output, "--beam-runner", "dataflow",
                                           "--gcp-project", "p")) == 2
    assert "--beam-runner dataflow needs --gcp-region, --temp-location" in (
        capsys.readouterr().err)
    assert not output.exists()


def test_beam_runner_presets_reach_the_containers(tmp_path):
    args = parse_args("imdb", tmp_path / "x.json", "--beam-runner", "dataflow",
                      "--gcp-project", "p", "--gcp-region", "europe-west1",
                      "--temp-location", "gs://b/tmp", "--beam-arg=--max_num_workers=8")
    cfg = kubeflow_compile.config_from_args(args)
    assert cfg.beam_pipeline_args[-6:] == [
        "--runner=DataflowRunner", "--project=p", "--region=europe-west1",
        "--temp_location=gs://b/tmp", f"--sdk_container_image={IMAGE}", "--max_num_workers=8"]
    assert cfg.output_dir == PIPELINE_ROOT and cfg.data_root == DATA_ROOT


def test_pipeline_cli_has_the_compile_subcommand(tmp_path):
    from cli import main as cli

    args = cli.build_parser().parse_args([
        "compile", "--target", "kubeflow", "--task", "imdb", "--image", IMAGE,
        "--pipeline-root", PIPELINE_ROOT, "--data-root", DATA_ROOT,
        "--output", str(tmp_path / "x.json")])
    assert args.command == "compile" and args.image == IMAGE


@pytest.mark.e2e
def test_cli_in_a_fresh_process_elsewhere_compiles_the_same_spec_and_its_paths_import(
        compiled, tmp_path):
    _, job, output = compiled
    task = job["pipelineSpec"]["pipelineInfo"]["name"].removesuffix("-pipeline")
    again = tmp_path / "cli.json"
    argv = ["--target", "kubeflow", "--task", task, "--image", IMAGE,
            "--pipeline-root", PIPELINE_ROOT, "--data-root", DATA_ROOT, "--output", str(again),
            "--epochs", "3", "--beam-workers", "2"]
    # Outside the repository, sys.path[0] is tmp_path: imports resolve through the installed
    # package only. A different hash seed catches set/dict ordering leaking into the spec.
    script = textwrap.dedent(f"""
        import sys
        from cli import main
        from tfx.utils import import_utils
        assert main.main(["compile", *{argv!r}]) == 0
        for path in {sorted(spec_module_paths(job))!r}:
            module, name = path.rsplit(".", 1)
            import_utils.import_func_from_module(module, name)
            assert not sys.modules[module].__file__.startswith({str(tmp_path)!r})
        """)
    env = {**os.environ, "PYTHONHASHSEED": "12345", "TF_USE_LEGACY_KERAS": "1"}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert again.read_bytes() == output.read_bytes()


def test_glove_model_needs_a_glove_path_the_cluster_reads(tmp_path, capsys):
    output = tmp_path / "x.json"
    assert kubeflow_compile.run(parse_args("imdb", output, "--model", "glove")) == 2
    assert "imdb_glove needs --glove" in capsys.readouterr().err
    cfg = kubeflow_compile.config_from_args(
        parse_args("imdb", output, "--model", "glove", "--glove", "gs://b/glove.6B.100d.txt"))
    assert cfg.train.glove_path == "gs://b/glove.6B.100d.txt"  # passed on as given
    assert kubeflow_compile.run(parse_args("imdb", output, "--model", "lstm,gru")) == 2
    assert "one model expected" in capsys.readouterr().err
