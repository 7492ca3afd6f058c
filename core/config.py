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
class JenaIngestConfig(_Serializable):
    """Chronological splits and cleaning rules of the Jena climate ExampleGen.

    Splits are contiguous row ranges of the time-sorted, de-duplicated series, never hashed:
    `split_rows` (the book's [0, 200000) train, [200000, 300000) eval, rest test) when the series
    is longer than its second boundary, else `split_fractions` of it (the 2nd edition's
    50/25/25%, rounded down as `int(0.5 * n)`).
    """

    split_rows: tuple[int, int] = (200_000, 300_000)  # end of train, end of eval (exclusive)
    split_fractions: tuple[float, float] = (0.5, 0.25)  # train, eval; test gets the rest
    interval_seconds: int = 600  # the station's 10-minute step; longer steps are gaps
    # The CSV read when the data root is a folder (Kubeflow: the data_root runtime parameter).
    csv_name: str = "jena_climate_2009_2016.csv"

    def __post_init__(self) -> None:
        if len(self.split_rows) != 2 or not 0 < self.split_rows[0] < self.split_rows[1]:
            raise ValueError(f"split_rows {self.split_rows} must be two increasing row counts "
                             "> 0 (end of train, end of eval)")
        train, evaluation = (self.split_fractions + (0.0, 0.0))[:2]
        if (len(self.split_fractions) != 2 or not (0 < train < 1 and 0 < evaluation < 1)
                or train + evaluation >= 1):
            raise ValueError(f"split_fractions {self.split_fractions} must be two fractions in "
                             "(0, 1) summing to less than 1 (train, eval; test gets the rest)")
        if self.interval_seconds < 1:
            raise ValueError(f"interval_seconds {self.interval_seconds} must be >= 1")


@dataclasses.dataclass(frozen=True)
class IngestConfig(_Serializable):
    """How ExampleGen splits and cleans the raw data (each task reads its own fields)."""

    holdout_fraction: float = 0.2  # IMDB: share of aclImdb/train held out as `eval`
    split_seed: int = 42  # IMDB
    jena: JenaIngestConfig = dataclasses.field(default_factory=JenaIngestConfig)

    def __post_init__(self) -> None:
        if not 0.0 < self.holdout_fraction < 1.0:
            raise ValueError(f"holdout_fraction {self.holdout_fraction} is not in (0, 1)")


TEXT_REPRESENTATIONS = ("sequence", "tfidf", "multi_hot")
TOKENIZERS = ("word", "char")


@dataclasses.dataclass(frozen=True)
class TextConfig(_Serializable):
    """Tokenization and vocabulary for text tasks (Transform and the model's input shape).

    `representation` picks what Transform emits: "sequence" (front-padded token ids, for
    embeddings, RNNs and convnets) or a bag of 1..`ngrams`-grams weighted by "tfidf" or
    "multi_hot" (DLwP 6.1.1 one-hot / n-gram encodings, for a dense head).
    """

    max_tokens: int = 10_000  # vocabulary top_k, as `num_words` in the book
    sequence_length: int = 500  # keep the last N tokens, pad at the front (pad_sequences)
    oov_buckets: int = 1
    representation: str = "sequence"
    ngrams: int = 1  # bag representations: longest n-gram (2: unigrams + bigrams)
    tokenizer: str = "word"  # "char": one token per character (DLwP listing 6.2)

    def __post_init__(self) -> None:
        if min(self.max_tokens, self.sequence_length, self.oov_buckets, self.ngrams) < 1:
            raise ValueError(
                f"max_tokens, sequence_length, oov_buckets and ngrams must be >= 1: {self}")
        if self.representation not in TEXT_REPRESENTATIONS:
            raise ValueError(f"representation {self.representation!r} is not one of "
                             f"{TEXT_REPRESENTATIONS}")
        if self.tokenizer not in TOKENIZERS:
            raise ValueError(f"tokenizer {self.tokenizer!r} is not one of {TOKENIZERS}")
        if self.ngrams > 1 and self.representation == "sequence":
            raise ValueError("ngrams > 1 needs a bag representation (tfidf or multi_hot)")

    @property
    def vocab_size(self) -> int:
        """Embedding input size: padding id 0, the top_k words, then the OOV buckets."""
        return self.max_tokens + self.oov_buckets + 1


@dataclasses.dataclass(frozen=True)
class WindowConfig(_Serializable):
    """Time-series windows (DLwP 6.3), in rows of the series (10 minutes each for Jena).

    A window holds `lookback // step` observations, `step` rows apart, the last one at row
    `start + lookback - step`; its target is the temperature `delay` rows after that last one.
    """

    lookback: int = 720  # 5 days of history
    step: int = 6  # one observation per hour
    delay: int = 144  # forecast 24 hours after the last observation

    def __post_init__(self) -> None:
        if self.step < 1 or self.lookback < 1 or self.delay < 1:
            raise ValueError(f"lookback {self.lookback}, step {self.step} and delay "
                             f"{self.delay} must all be >= 1")
        if self.lookback % self.step:
            raise ValueError(f"lookback {self.lookback} is not a multiple of step {self.step}")

    @property
    def sequence_length(self) -> int:
        """Observations per window (the model's time axis)."""
        return self.lookback // self.step

    @property
    def span(self) -> int:
        """Rows from a window's first observation to its target (the target's offset)."""
        return self.lookback - self.step + self.delay


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
    mixed_precision: bool = False  # float16 compute on GPUs (trainer/strategy.py)
    embedding_dim: int = 32
    units: int = 32
    dropout: float = 0.0  # input dropout of recurrent layers, or before a dense head
    recurrent_dropout: float = 0.0  # > 0 rules out the cuDNN kernel of GRU/LSTM layers
    max_train_examples: int | None = None  # train on the first N examples (GloVe experiment)
    glove_path: str | None = None  # GloVe text file (local or gs://) for pretrained embeddings
    text: TextConfig | None = dataclasses.field(default_factory=TextConfig)
    window: WindowConfig | None = None  # time-series tasks (Jena)

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(f"epochs and batch_size must be >= 1, got {self.epochs}, "
                             f"{self.batch_size}")
        if self.steps_per_epoch is not None and self.steps_per_epoch < 1:
            raise ValueError(f"steps_per_epoch {self.steps_per_epoch} must be >= 1 or None")
        if self.max_train_examples is not None and self.max_train_examples < 1:
            raise ValueError(f"max_train_examples {self.max_train_examples} must be >= 1 or None")
        for name in ("dropout", "recurrent_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} {getattr(self, name)} is not in [0, 1)")


@dataclasses.dataclass(frozen=True)
class EvalConfig(_Serializable):
    """Blessing rules for the Evaluators, each in the units of the task's gating metric."""

    min_accuracy: float = 0.80  # IMDB: value threshold on the test split
    # Allowed worsening vs the latest blessed model: accuracy drop (IMDB), MAE rise in °C (Jena).
    max_regression: float = 0.005
    # Fixed baseline (Jena: common-sense forecast): the candidate's MAE must be below
    # (1 - baseline_margin) * the baseline's MAE; 0 means strictly better.
    baseline_margin: float = 0.0
    window_stride: int = 1  # Jena: every N-th test window is evaluated (1: all, as the book)

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_accuracy <= 1.0:
            raise ValueError(f"min_accuracy {self.min_accuracy} is not in [0, 1]")
        if self.max_regression < 0:
            raise ValueError(f"max_regression {self.max_regression} must be >= 0")
        if not 0.0 <= self.baseline_margin < 1.0:
            raise ValueError(f"baseline_margin {self.baseline_margin} is not in [0, 1)")
        if self.window_stride < 1:
            raise ValueError(f"window_stride {self.window_stride} must be >= 1")


@dataclasses.dataclass(frozen=True)
class CanaryConfig(_Serializable):
    """The serving canary before the Pusher (components/canary.py): what it sends and accepts.

    It serves the candidate in the project's serving stack, sends `examples` raw examples of the
    evaluated split over REST and gRPC in requests of `batch_size`, and blesses the model only
    when every answer is within `tolerance` of the in-process SavedModel's and the slowest
    request (after one warm-up) answers within `max_latency_ms`.
    """

    examples: int = 64
    batch_size: int = 8
    tolerance: float = 1e-5  # absolute, on every output value
    max_latency_ms: float = 5000.0  # generous: a shared 2-core machine, not a load test
    startup_seconds: float = 180.0  # for the server process to make the model AVAILABLE

    def __post_init__(self) -> None:
        if min(self.examples, self.batch_size) < 1:
            raise ValueError(f"examples {self.examples} and batch_size {self.batch_size} must "
                             "be >= 1")
        if self.tolerance < 0 or self.max_latency_ms <= 0 or self.startup_seconds <= 0:
            raise ValueError(f"tolerance must be >= 0, max_latency_ms and startup_seconds > 0: "
                             f"{self}")


@dataclasses.dataclass(frozen=True)
class TuneConfig(_Serializable):
    """KerasTuner random search before the Trainer (trainer/tune.py), a small budget by default.

    Each of `max_trials` trials trains the configured model for `epochs` (early stopping on
    eval) with units, dropout, recurrent dropout and learning rate drawn from the search space;
    the trial with the lowest eval loss feeds the Trainer.
    """

    max_trials: int = 4
    epochs: int = 2
    steps_per_epoch: int | None = None  # None: the TrainConfig's (one pass by default)

    def __post_init__(self) -> None:
        if self.max_trials < 1 or self.epochs < 1:
            raise ValueError(f"max_trials {self.max_trials} and epochs {self.epochs} must be "
                             ">= 1")
        if self.steps_per_epoch is not None and self.steps_per_epoch < 1:
            raise ValueError(f"steps_per_epoch {self.steps_per_epoch} must be >= 1 or None")


@dataclasses.dataclass(frozen=True)
class PipelineConfig(_Serializable):
    """One pipeline run: where data and outputs live, how Beam runs, and the stage configs."""

    task: str
    data_root: str  # resolved raw data: an aclImdb folder (IMDB), a plain CSV file (Jena)
    output_dir: str = "outputs"
    serving_root: str | None = None  # default: <output_dir>/serving
    beam_workers: int = 1  # >1: Beam's multi-processing direct runner
    beam_args: tuple[str, ...] = ()  # extra Beam options, appended as given
    enable_cache: bool = True
    schema_path: str | None = None  # curated schema; default: infer with SchemaGen
    ingest: IngestConfig = dataclasses.field(default_factory=IngestConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    eval: EvalConfig = dataclasses.field(default_factory=EvalConfig)
    canary: CanaryConfig = dataclasses.field(default_factory=CanaryConfig)
    tune: TuneConfig | None = None  # None: train with the configured hyperparameters

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
