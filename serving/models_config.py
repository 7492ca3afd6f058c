"""The `models.config` (ModelServerConfig text proto) for tensorflow_model_server.

One `config` per model folder under the serving root (the Pusher writes
<serving_root>/<model>/<version>/), each with a `latest { num_versions }` policy and version
labels pinned to the versions present when the file is generated:

- one version served (the default): `stable` -> the newest version;
- `num_versions` >= 2 and two versions on disk: `canary` -> the newest, `stable` -> the one
  before it.

Labels name versions, so after a push they point at the old version until the file is
generated again; `serve` regenerates it at startup and runs the server with
`--allow_version_labels_for_unavailable_models`, because labels may not point at versions that
have not loaded yet otherwise. The local server reads the same file (`parse`).
"""

from __future__ import annotations

import os

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from serving.registry import ModelConfig, VersionPolicy, versions_on_disk

PLATFORM = "tensorflow"


def discover(serving_root: str, names: list[str] | None = None,
             num_versions: int = 1) -> list[ModelConfig]:
    """Model configs for the model folders under `serving_root` that hold a version.

    Args:
      serving_root: the Pusher's target root (<root>/<model>/<version>/).
      names: models to serve; default: every folder that holds a numeric version folder.
      num_versions: versions served per model (the `latest` policy).

    Raises:
      ValueError: no servable model folder, or a named model without versions.
    """
    if not os.path.isdir(serving_root):
        raise ValueError(f"serving root {serving_root} is not a folder")
    found = sorted(name for name in os.listdir(serving_root)
                   if versions_on_disk(os.path.join(serving_root, name)))
    if names:
        missing = sorted(set(names) - set(found))
        if missing:
            raise ValueError(f"no version folders for {missing} under {serving_root}; "
                             f"models with versions: {found}")
        found = [name for name in found if name in names]
    if not found:
        raise ValueError(f"no <model>/<version>/ folders under {serving_root}")
    policy = VersionPolicy("latest", num_versions=num_versions)
    configs = []
    for name in found:
        base_path = os.path.abspath(os.path.join(serving_root, name))
        versions = sorted(versions_on_disk(base_path))
        configs.append(ModelConfig(name, base_path, policy, default_labels(versions, policy)))
    return configs


def default_labels(versions: list[int], policy: VersionPolicy) -> dict[str, int]:
    """`stable` (and `canary` when two versions are served) for the versions on disk."""
    if not versions:
        return {}
    if policy.kind == "latest" and policy.num_versions >= 2 and len(versions) >= 2:
        return {"stable": versions[-2], "canary": versions[-1]}
    return {"stable": versions[-1]}


def to_proto(configs: list[ModelConfig],
             base_dir: str | None = None) -> model_server_config_pb2.ModelServerConfig:
    """The ModelServerConfig of `configs`.

    Args:
      configs: the models.
      base_dir: when given, each base path becomes <base_dir>/<name> (a container's mount,
        e.g. /models), instead of the local folder.
    """
    server_config = model_server_config_pb2.ModelServerConfig()
    for config in configs:
        entry = server_config.model_config_list.config.add(
            name=config.name, model_platform=PLATFORM,
            base_path=f"{base_dir.rstrip('/')}/{config.name}" if base_dir else config.base_path)
        policy = entry.model_version_policy
        if config.policy.kind == "latest":
            policy.latest.num_versions = config.policy.num_versions
        elif config.policy.kind == "all":
            policy.all.SetInParent()
        else:
            policy.specific.versions.extend(config.policy.versions)
        for label, version in sorted(config.labels.items()):
            entry.version_labels[label] = version
    return server_config


def to_text(configs: list[ModelConfig], base_dir: str | None = None) -> str:
    """The models.config text for `configs` (see `to_proto`)."""
    return text_format.MessageToString(to_proto(configs, base_dir))


def parse(text: str) -> list[ModelConfig]:
    """ModelConfigs from a models.config text.

    Raises:
      ValueError: not a ModelServerConfig with a model_config_list, or a non-TF platform.
    """
    server_config = model_server_config_pb2.ModelServerConfig()
    try:
        text_format.Parse(text, server_config)
    except text_format.ParseError as error:
        raise ValueError(f"not a ModelServerConfig text proto: {error}") from None
    if server_config.WhichOneof("config") != "model_config_list":
        raise ValueError("models.config has no model_config_list")
    configs = []
    for entry in server_config.model_config_list.config:
        if entry.model_platform not in ("", PLATFORM):
            raise ValueError(f"model {entry.name}: platform {entry.model_platform!r} is not "
                             f"{PLATFORM!r}")
        choice = entry.model_version_policy.WhichOneof("policy_choice") or "latest"
        latest = entry.model_version_policy.latest.num_versions or 1
        policy = VersionPolicy(choice, num_versions=latest,
                               versions=tuple(entry.model_version_policy.specific.versions))
        configs.append(ModelConfig(entry.name, entry.base_path, policy,
                                   dict(entry.version_labels)))
    return configs


def write(path: str, configs: list[ModelConfig], base_dir: str | None = None) -> str:
    """Writes the models.config for `configs` to `path`; returns the text."""
    text = to_text(configs, base_dir)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return text


def main(argv: list[str] | None = None) -> None:
    """Prints the models.config for a serving root (for the docker and Kubernetes setups)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m serving.models_config",
                                     description=main.__doc__)
    parser.add_argument("--serving-root", required=True, help="<root>/<model>/<version>/")
    parser.add_argument("--models", nargs="+", help="default: every model folder with a version")
    parser.add_argument("--num-versions", type=int, default=1, help="latest N per model")
    parser.add_argument("--base-dir", help="base paths as <base-dir>/<model>, e.g. /models "
                                           "(default: the local folders)")
    args = parser.parse_args(argv)
    print(to_text(discover(args.serving_root, args.models, args.num_versions), args.base_dir),
          end="")


if __name__ == "__main__":
    main()
