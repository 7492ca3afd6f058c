"""Flags shared by `run` and `compile`; they map onto pipeline/configure.py's overrides.

Flags only carry what the user gives (every default is None): defaults live in the config
dataclasses and the zoo's book settings alone.
"""

from __future__ import annotations

import argparse

from core import config as config_lib


def add_config_arguments(parser) -> None:
    """Adds the model, training, text, window and blessing flags to `parser`."""
    parser.add_argument("--model", action="append", dest="models", metavar="MODEL",
                        help="zoo model, with or without the task prefix (default: the task's; "
                             "`tfx-text models` lists them). run: repeat it or give a comma "
                             "list to train several models in successive runs")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--dropout", type=float,
                        help="input dropout of recurrent layers (or before a dense head)")
    parser.add_argument("--recurrent-dropout", type=float,
                        help="recurrent dropout; > 0 rules out the cuDNN kernel")
    parser.add_argument("--max-train-examples", type=int,
                        help="train on a fixed N-example subset (imdb_glove: 200)")
    parser.add_argument("--glove", dest="glove_path",
                        help="imdb_glove: GloVe text file (word v1 ... vN, .txt or .txt.gz); "
                             "run downloads glove.6B.zip (100d) when it is not given")
    parser.add_argument("--steps-per-epoch", type=int,
                        help="train steps per epoch (default: one pass over the train split)")
    parser.add_argument("--mixed-precision", action="store_true", default=None,
                        help="compute in float16 with float32 variables (for GPUs)")
    parser.add_argument("--max-tokens", type=int, help="vocabulary size (top_k words)")
    parser.add_argument("--sequence-length", type=int, help="tokens kept per review")
    parser.add_argument("--representation", choices=config_lib.TEXT_REPRESENTATIONS,
                        help="Transform output: token sequences, or a tfidf / multi_hot bag of "
                             "n-grams (for imdb_bag_of_ngrams)")
    parser.add_argument("--ngrams", type=int, help="bags: longest n-gram (2: uni+bigrams)")
    parser.add_argument("--tokenizer", choices=config_lib.TOKENIZERS,
                        help="word tokens, or char: one token per character")
    parser.add_argument("--lookback", type=int,
                        help="jena: rows of history per window (10 min each)")
    parser.add_argument("--step", type=int, help="jena: rows between a window's observations")
    parser.add_argument("--delay", type=int,
                        help="jena: rows from the last observation to the forecast target")
    parser.add_argument("--min-accuracy", type=float, help="accuracy needed for a blessing")
    parser.add_argument("--max-regression", type=float,
                        help="allowed worsening vs the latest blessed model (imdb: accuracy drop, "
                             "jena: MAE rise in °C)")
    parser.add_argument("--baseline-margin", type=float,
                        help="jena: fraction of the common-sense baseline's MAE the model must "
                             "improve by (0: strictly better)")
    parser.add_argument("--window-stride", type=int,
                        help="jena: evaluate every N-th test window (1: all)")
    parser.add_argument("--max-eval-windows", type=int,
                        help="jena: evaluate at most N test windows, with a larger stride when "
                             "there are more (default 20000; 0: no cap)")


def given_models(args: argparse.Namespace) -> list[str]:
    """The --model values, repeated or comma-separated, as given."""
    return [name.strip() for flag in (args.models or []) for name in flag.split(",")
            if name.strip()]


def train_overrides(args: argparse.Namespace) -> dict:
    """The training settings the user gave (None: not given)."""
    from pipeline import configure  # loads Keras: kept out of `tfx-text`'s start-up

    fields = configure.TRAIN_FIELDS + tuple(
        field for part in configure.PART_FIELDS.values() for field in part)
    return {name: getattr(args, name) for name in fields
            if getattr(args, name, None) is not None}


def eval_overrides(args: argparse.Namespace) -> dict:
    """The blessing rules the user gave (None: not given)."""
    from pipeline import configure  # loads Keras: kept out of `tfx-text`'s start-up

    return {name: getattr(args, name) for name in configure.EVAL_FIELDS
            if getattr(args, name, None) is not None}
