"""Beam settings for the Beam-heavy components (ExampleGen, StatisticsGen, Transform, Evaluator).

Each preset returns `beam_pipeline_args`, appended to `PipelineConfig.beam_pipeline_args` and
so passed to every component (locally, or in each Kubeflow container's arguments):

* direct (no preset): one process, or `--direct_running_mode=multi_processing
  --direct_num_workers=N` from `PipelineConfig.beam_workers`; runs here.
* `portable`: `PortableRunner` against a Beam job service, user code in an external worker pool
  (`--environment_type=EXTERNAL`); runs here against Beam's Python job service
  (kubeflow/local_beam.py).
* `dataflow`: Google Cloud Dataflow, with the pipeline image as the SDK worker container.
* `flink`: `FlinkRunner` submitting to a Flink cluster, user code in a Beam worker pool
  sidecar of each task manager (EXTERNAL environment).

Dataflow and Flink need their services and were not run here; their options are checked
against Beam's own option parser in the tests.
"""

from __future__ import annotations

RUNNERS = ("direct", "portable", "dataflow", "flink")  # direct: PipelineConfig.beam_workers
# A Beam worker pool (`/opt/apache/beam/boot --worker_pool`) listens on 50000 by default.
DEFAULT_WORKER_POOL = "localhost:50000"


def portable(job_endpoint: str, worker_pool: str = DEFAULT_WORKER_POOL) -> list[str]:
    """PortableRunner: submit to a Beam job service, run user code in an external worker pool.

    Args:
      job_endpoint: the job service, host:port (8099 for Beam's Flink/Spark job servers).
      worker_pool: the worker pool service, host:port as seen from the runner's workers.
    """
    return ["--runner=PortableRunner", f"--job_endpoint={job_endpoint}",
            "--environment_type=EXTERNAL", f"--environment_config={worker_pool}"]


def dataflow(project: str, region: str, temp_location: str, image: str,
             max_num_workers: int | None = None) -> list[str]:
    """DataflowRunner with the pipeline image as custom SDK container.

    The image carries the project (module paths such as `components.imdb_gen`) and the locked
    Beam version, so Dataflow workers import the same code as the component containers.

    Args:
      temp_location: gs:// folder for Dataflow's temporary and staging files.
      image: the pipeline image (kubeflow/Dockerfile has Beam's SDK boot entrypoint).
      max_num_workers: autoscaling cap; None keeps Dataflow's default.
    """
    if not temp_location.startswith("gs://"):
        raise ValueError(f"Dataflow temp_location {temp_location!r} must be a gs:// path")
    args = ["--runner=DataflowRunner", f"--project={project}", f"--region={region}",
            f"--temp_location={temp_location}", f"--sdk_container_image={image}"]
    if max_num_workers is not None:
        args.append(f"--max_num_workers={max_num_workers}")
    return args


def flink(flink_master: str, worker_pool: str = DEFAULT_WORKER_POOL,
          parallelism: int | None = None, job_server_jar: str | None = None) -> list[str]:
    """FlinkRunner submitting an uber jar to a Flink cluster's REST endpoint.

    Beam fetches its Flink job server jar (from Maven Central, cached under
    ~/.apache_beam/cache) unless `job_server_jar` names a local path or URL, e.g. one baked
    into the image for clusters without internet access.

    Args:
      flink_master: the Flink REST endpoint, host:port (the JobManager's 8081).
      worker_pool: the Beam worker pool next to each task manager (EXTERNAL environment).
      parallelism: Flink parallelism; None keeps the cluster's default.
    """
    args = ["--runner=FlinkRunner", f"--flink_master={flink_master}",
            "--flink_submit_uber_jar", "--environment_type=EXTERNAL",
            f"--environment_config={worker_pool}"]
    if parallelism is not None:
        args.append(f"--parallelism={parallelism}")
    if job_server_jar is not None:
        args.append(f"--flink_job_server_jar={job_server_jar}")
    return args
