"""Typed configuration flowing from the CLI to `create_pipeline` and into the module files.

Defaults live here only. Each component receives the slice it uses through `custom_config`
(JSON-safe dicts), so a change to, say, `epochs` re-runs only the Trainer and what follows.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from typing import Any, TypeVar

T = TypeVar("T")


def _from_dict(cls: type[T], raw: dict[str, Any]) -> T:
    """Rebuilds a (possibly nested) config dataclass from `dataclasses.asdict` output."""
    if not isinstance(raw, dict):
        raise ValueError(f"expected a dict for {cls.__name__}, got {type(raw).__name__}")
    hints = typing.get_type_hints(cls)
    names = {field.name for field in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - names)
    if unknown:
        raise ValueError(
            f"unknown {cls.__name__} fields {unknown}; expected some of {sorted(names)}")
    values = {}
    for name, value in raw.items():
        field_type = hints[name]
        nested = [t for t in typing.get_args(field_type) or (field_type,)
                  if dataclasses.is_dataclass(t)]
        if nested and isinstance(value, dict):
            value = _from_dict(nested[0], value)
        elif isinstance(value, list):
            value = tuple(value)
        values[name] = value
    return cls(**values)


class _Serializable:
    """Round-trips a frozen dataclass through plain JSON types."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls: type[T], raw: dict[str, Any]) -> T:
        return _from_dict(cls, raw)


@dataclasses.dataclass(frozen=True)
class IngestConfig(_Serializable):
    """How ExampleGen splits the raw data."""

    holdout_fraction: float = 0.2  # share of aclImdb/train held out as `eval`
    split_seed: int = 42

    def __post_init__(self) -> None:
        if not 0.0 < self.holdout_fraction < 1.0:
            raise ValueError(f"holdout_fraction {self.holdout_fraction} is not in (0, 1)")


@dataclasses.dataclass(frozen=True)
class TextConfig(_Serializable):
    """Tokenization and vocabulary for text tasks (Transform and the model's input shape)."""

    max_tokens: int = 10_000  # vocabulary top_k, as `num_words` in the book
    sequence_length: int = 500  # keep the last N tokens, pad at the front (pad_sequences)
    oov_buckets: int = 1

    def __post_init__(self) -> None:
        if self.max_tokens < 1 or self.sequence_length < 1 or self.oov_buckets < 1:
            raise ValueError(f"max_tokens, sequence_length and oov_buckets must be >= 1: {self}")

    @property
    def vocab_size(self) -> int:
        """Embedding input size: padding id 0, the top_k words, then the OOV buckets."""
        return self.max_tokens + self.oov_buckets + 1


@dataclasses.dataclass(frozen=True)
class TrainConfig(_Serializable):
    """Everything the Trainer's `run_fn` needs."""

    task: str = "imdb"
    model: str = "imdb_lstm"
    epochs: int = 10
    batch_size: int = 128
    optimizer: str = "rmsprop"  # the book's choice for every chapter 6 model
    learning_rate: float = 1e-3
    early_stopping_patience: int = 2
    steps_per_epoch: int | None = None  # None: one full pass over the train split
    seed: int = 42
    embedding_dim: int = 32
    units: int = 32
    text: TextConfig | None = dataclasses.field(default_factory=TextConfig)

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(f"epochs and batch_size must be >= 1, got {self.epochs}, "
                             f"{self.batch_size}")
        if self.steps_per_epoch is not None and self.steps_per_epoch < 1:
            raise ValueError(f"steps_per_epoch {self.steps_per_epoch} must be >= 1 or None")


@dataclasses.dataclass(frozen=True)
class EvalConfig(_Serializable):
    """Blessing rules for the Evaluator."""

    min_accuracy: float = 0.80  # value threshold on the test split
    max_regression: float = 0.005  # allowed accuracy drop vs the latest blessed model

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_accuracy <= 1.0:
            raise ValueError(f"min_accuracy {self.min_accuracy} is not in [0, 1]")
        if self.max_regression < 0:
            raise ValueError(f"max_regression {self.max_regression} must be >= 0")


@dataclasses.dataclass(frozen=True)
class PipelineConfig(_Serializable):
    """One pipeline run: where data and outputs live, how Beam runs, and the stage configs."""

    task: str
    data_root: str  # resolved raw data location (an aclImdb folder for IMDB)
    output_dir: str = "outputs"
    serving_root: str | None = None  # default: <output_dir>/serving
    beam_workers: int = 1  # >1: Beam's multi-processing direct runner
    beam_args: tuple[str, ...] = ()  # extra Beam options, appended as given
    enable_cache: bool = True
    schema_path: str | None = None  # curated schema; default: infer with SchemaGen
    code_version: str = "dev"  # part of custom_config so code changes invalidate the cache
    ingest: IngestConfig = dataclasses.field(default_factory=IngestConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    eval: EvalConfig = dataclasses.field(default_factory=EvalConfig)

    def __post_init__(self) -> None:
        if self.train.task != self.task:
            raise ValueError(f"train.task {self.train.task!r} differs from task {self.task!r}")
        if self.beam_workers < 1:
            raise ValueError(f"beam_workers {self.beam_workers} must be >= 1")

    @property
    def pipeline_name(self) -> str:
        return f"{self.task}-pipeline"

    @property
    def pipeline_root(self) -> str:
        return os.path.join(self.output_dir, "pipeline_root", self.pipeline_name)

    @property
    def metadata_path(self) -> str:
        return os.path.join(self.output_dir, "metadata", f"{self.pipeline_name}.sqlite")

    @property
    def push_dir(self) -> str:
        root = self.serving_root or os.path.join(self.output_dir, "serving")
        return os.path.join(root, self.task)

    @property
    def beam_pipeline_args(self) -> list[str]:
        args = ["--direct_num_workers=1", "--direct_running_mode=in_memory"]
        if self.beam_workers > 1:
            args = [f"--direct_num_workers={self.beam_workers}",
                    "--direct_running_mode=multi_processing"]
        return args + list(self.beam_args)
