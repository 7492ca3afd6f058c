"""The `models.config` (ModelServerConfig text proto) for tensorflow_model_server.

One `config` per model folder under the serving root (the Pusher writes
<serving_root>/<model>/<version>/), each with a `latest { num_versions }` policy and version
labels pinned to the versions present when the file is generated: `stable` -> the newest
version, or, when two versions are served, `canary` -> the newest and `stable` -> the one before.
Labels name versions, so regenerate the file after a push; `serve` does at startup and runs the
server with `--allow_version_labels_for_unavailable_models` (labels of versions that have not
loaded yet are refused otherwise, and at startup none has).
"""

from __future__ import annotations

import argparse
import os

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from serving.registry import ModelConfig, versions_on_disk


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
    if num_versions < 1:
        raise ValueError(f"num_versions {num_versions} must be >= 1")
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
    configs = []
    for name in found:
        base_path = os.path.abspath(os.path.join(serving_root, name))
        versions = versions_on_disk(base_path)
        labels = ({"stable": versions[-2], "canary": versions[-1]}
                  if num_versions >= 2 and len(versions) >= 2 else {"stable": versions[-1]})
        configs.append(ModelConfig(name, base_path, num_versions, labels))
    return configs


def to_text(configs: list[ModelConfig], base_dir: str | None = None) -> str:
    """The models.config text; with `base_dir` (a container's mount, e.g. /models) each base
    path becomes <base_dir>/<name>."""
    server_config = model_server_config_pb2.ModelServerConfig()
    for config in configs:
        entry = server_config.model_config_list.config.add(
            name=config.name, model_platform="tensorflow",
            base_path=f"{base_dir.rstrip('/')}/{config.name}" if base_dir else config.base_path)
        entry.model_version_policy.latest.num_versions = config.num_versions
        for label, version in sorted(config.labels.items()):
            entry.version_labels[label] = version
    return text_format.MessageToString(server_config)


def write(path: str, configs: list[ModelConfig], base_dir: str | None = None) -> str:
    """Writes the models.config for `configs` to `path`; returns the text."""
    text = to_text(configs, base_dir)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return text


def main(argv: list[str] | None = None) -> None:
    """Prints the models.config for a serving root (for the docker and Kubernetes setups)."""
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
