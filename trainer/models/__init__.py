"""Model zoo: every selectable model by name, with the task it serves and its output kind."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import tf_keras as keras

from pipeline.config import TrainConfig
from trainer import glove
from trainer.models import imdb, jena


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A named model: its builder, its task, its output kind and whether it is trained.

    Builders take the TrainConfig plus data-dependent keyword arguments: the task's
    (`TrainerTask.model_kwargs`, e.g. the Jena window columns) and the model's own (`prepare`).
    """

    task: str
    builder: Callable[..., keras.Model]
    # "probability", "logit" (export applies the sigmoid, serving sees p) or "value" (regression).
    output: str = "probability"
    trainable: bool = True  # False: a fixed baseline, exported as built
    # The book's hyperparameters for this experiment, as TrainConfig fields (parts as dicts);
    # they replace TrainConfig's defaults, and CLI flags replace them.
    defaults: dict[str, Any] = dataclasses.field(default_factory=dict)
    # The chapter's result for this experiment, in the task's report metric (IMDB: accuracy;
    # Jena: validation MAE in °C on the full 2009-2016 series), and where it comes from.
    book: float | None = None
    reference: str = ""
    # Extra builder keyword arguments computed from the run's data at train time, e.g. the
    # GloVe matrix for the Transform vocabulary: (config, TFTransformOutput) -> kwargs.
    prepare: Callable[..., dict[str, Any]] | None = None
    min_steps: int = 1  # shortest time axis (Jena window observations) the model accepts

    @property
    def needs_glove(self) -> bool:
        return self.prepare is glove.pretrained_embedding


# DLwP 6.1.3: 200 training reviews cut to 100 tokens, Dense(32) head, batch 32.
_GLOVE_EXPERIMENT = {"max_train_examples": 200, "batch_size": 32,
                     "text": {"sequence_length": 100}}

MODELS: dict[str, ModelSpec] = {
    # IMDB: `book` is the accuracy the chapter reports (validation unless noted; ours is test).
    "imdb_embedding_flatten": ModelSpec(
        "imdb", imdb.build_embedding_flatten,
        defaults={"embedding_dim": 8, "batch_size": 32, "text": {"sequence_length": 20}},
        book=0.76, reference="DLwP 6.1.2, listing 6.7: ~76% val"),
    "imdb_glove": ModelSpec(
        "imdb", imdb.build_glove, prepare=glove.pretrained_embedding,
        defaults={**_GLOVE_EXPERIMENT}, book=0.54,
        reference="DLwP 6.1.3, listings 6.10-6.17: frozen GloVe, 200 samples; ~54% test"),
    "imdb_glove_random": ModelSpec(
        "imdb", imdb.build_dense_embedding, defaults={**_GLOVE_EXPERIMENT, "embedding_dim": 100},
        book=0.52, reference="DLwP 6.1.3, same network, learned embedding: low 50s (approx.)"),
    "imdb_simple_rnn": ModelSpec("imdb", imdb.build_simple_rnn, book=0.85,
                                 reference="DLwP 6.2.1, listing 6.22: ~85% val"),
    "imdb_lstm": ModelSpec("imdb", imdb.build_lstm, book=0.89,
                           reference="DLwP 6.2.3, listing 6.27: ~89% val"),
    "imdb_gru": ModelSpec("imdb", imdb.build_gru,
                          reference="GRU(32) in place of listing 6.27's LSTM; no book number"),
    "imdb_bilstm": ModelSpec("imdb", imdb.build_bilstm, book=0.886,
                             reference="DLwP 6.3.8, listing 6.42: ~88.6% val"),
    "imdb_conv1d": ModelSpec(
        "imdb", imdb.build_conv1d, defaults={"embedding_dim": 128, "learning_rate": 1e-4},
        book=0.838, reference="DLwP 6.4.3, listing 6.46: ~83.8% val"),
    "imdb_bag_of_ngrams": ModelSpec(
        "imdb", imdb.build_bag_of_ngrams,
        defaults={"units": 16, "dropout": 0.5, "batch_size": 32, "text": {
            "representation": "tfidf", "ngrams": 2, "max_tokens": 20_000}},
        book=0.90, reference="DLwP 2nd ed. 11.3.3, TF-IDF bigrams + Dense(16): ~90% test"),
    # Jena: `book` is the validation MAE in °C, the chapter's normalized MAE x 8.85 (the
    # temperature's train std: 0.29 -> 2.57 °C). "approx." marks the best val_loss of the
    # author's run (fchollet/deep-learning-with-python-notebooks, first_edition/6.3 and 6.4)
    # where the text gives no number.
    "jena_common_sense": ModelSpec(
        "jena", jena.build_common_sense, "value", trainable=False, book=2.57,
        reference="DLwP 6.3.3, listings 6.35-6.36: 0.29 -> 2.57 °C val"),
    "jena_dense": ModelSpec(
        "jena", jena.build_dense, "value", defaults={"epochs": 20}, book=2.65,
        reference="DLwP 6.3.4, listing 6.37: 'close to the baseline, not reliably'; "
                  "approx. 0.30 -> 2.65 °C val"),
    "jena_gru": ModelSpec(
        "jena", jena.build_gru, "value", defaults={"epochs": 20}, book=2.35,
        reference="DLwP 6.3.5, listing 6.39: ~0.265 -> 2.35 °C val"),
    "jena_gru_dropout": ModelSpec(
        "jena", jena.build_gru_dropout, "value",
        defaults={"dropout": 0.2, "recurrent_dropout": 0.2, "epochs": 40}, book=2.32,
        reference="DLwP 6.3.6, listing 6.40: best 'not much lower' than the GRU's; "
                  "approx. 0.262 -> 2.32 °C val"),
    "jena_stacked_gru": ModelSpec(
        "jena", jena.build_stacked_gru, "value",
        defaults={"dropout": 0.1, "recurrent_dropout": 0.5, "epochs": 40}, book=2.33,
        reference="DLwP 6.3.7, listing 6.41: 'a bit' better, not significantly; "
                  "approx. 0.263 -> 2.33 °C val"),
    "jena_bidirectional_gru": ModelSpec(
        "jena", jena.build_bidirectional_gru, "value", defaults={"epochs": 40}, book=2.31,
        reference="DLwP 6.3.8, listing 6.44: 'about as well as the regular GRU'; "
                  "approx. 0.262 -> 2.31 °C val"),
    "jena_conv1d": ModelSpec(
        "jena", jena.build_conv1d, "value", defaults={"epochs": 20}, book=4.00,
        min_steps=jena.CONV1D_MIN_STEPS,
        reference="DLwP 6.4.4, listing 6.47: 'stays in the 0.40s', worse than the baseline; "
                  "approx. 0.452 -> 4.00 °C val"),
    "jena_conv1d_gru": ModelSpec(
        "jena", jena.build_conv1d_gru, "value", min_steps=jena.CONV1D_GRU_MIN_STEPS,
        defaults={"dropout": 0.1, "recurrent_dropout": 0.5, "epochs": 20,
                  "window": {"step": 3}}, book=2.42,
        reference="DLwP 6.4.4, listings 6.48-6.49: step 3, not as good as the regularized GRU "
                  "but faster; approx. 0.273 -> 2.42 °C val"),
}


def bag_model(spec: ModelSpec) -> bool:
    """Whether the model reads a bag of n-grams rather than token sequences (IMDB)."""
    return spec.defaults.get("text", {}).get("representation", "sequence") != "sequence"


def check_config(config: TrainConfig) -> None:
    """Rejects a config the model cannot be built from (before any pipeline work is done).

    Raises:
      ValueError: unknown model, a text representation the model does not read, or windows
        too short for it.
    """
    spec = get_model_spec(config.model, config.task)
    if config.text is not None and bag_model(spec) != (config.text.representation != "sequence"):
        wanted = "a bag (tfidf or multi_hot)" if bag_model(spec) else "the sequence"
        raise ValueError(f"{config.model} reads {wanted} representation, not "
                         f"{config.text.representation!r}")
    if config.window is not None and config.window.sequence_length < spec.min_steps:
        raise ValueError(
            f"{config.model} needs windows of >= {spec.min_steps} observations; lookback "
            f"{config.window.lookback} / step {config.window.step} gives "
            f"{config.window.sequence_length}")


def resolve_model_name(name: str, task: str) -> str:
    """Full zoo name for `name` or its short form without the task prefix (`gru` -> `jena_gru`)."""
    for candidate in (name, f"{task}_{name}"):
        if candidate in MODELS and MODELS[candidate].task == task:
            return candidate
    known = sorted(n for n, s in MODELS.items() if s.task == task)
    short = [n.removeprefix(f"{task}_") for n in known]
    raise ValueError(f"unknown {task} model {name!r}; choose one of {known} (or {short})")


def get_model_spec(name: str, task: str) -> ModelSpec:
    """Looks a model up by name, checking that it belongs to the task."""
    spec = MODELS.get(name)
    if spec is None or spec.task != task:
        known = sorted(n for n, s in MODELS.items() if s.task == task)
        raise ValueError(f"unknown {task} model {name!r}; choose one of {known}")
    return spec
