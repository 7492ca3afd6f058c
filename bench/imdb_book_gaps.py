"""Measured causes of the IMDB zoo's gaps to the book's numbers (issue 14 item 2).

1. Validation vs test: most book figures are validation accuracy on a 20% holdout of train.
   From the zoo run's own record (bench/results/model_zoo_imdb.json), each model's best-epoch
   accuracy on our 20% `eval` holdout of train, the same kind of figure, next to its test one.
2. GloVe's 200-review draw: DLwP 6.1.3 trains the frozen-GloVe network on 200 reviews. The
   zoo's own builder (`imdb_glove`) is trained as the Trainer does (early stopping on eval,
   best weights) and as the book does (10 epochs, last weights) on several seeded draws of
   200 reviews of the pipeline's train split, and scored on the 25,000-review test split.
Writes bench/results/imdb_book_gaps.{json,md}.
Usage: python -m bench.imdb_book_gaps --glove ../shared/data/glove/glove.6B.50d.top100k.txt.gz
         [--data-dir ../shared/data/imdb] [--seeds 5]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import pathlib
import tempfile

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

from bench import common  # noqa: E402
from bench.imdb_nbsvm_explore import load_tokens  # noqa: E402
from pipeline import configure  # noqa: E402
from trainer import glove, models, train  # noqa: E402
from trainer import task as task_lib  # noqa: E402


def validation_vs_test() -> list[dict]:
    """Book number, best-epoch eval-holdout accuracy and test accuracy of each zoo run."""
    zoo = json.loads((common.RESULTS / "model_zoo_imdb.json").read_text())
    rows = []
    for row in zoo["leaderboard"]["rows"]:
        if row["book"] is None:
            continue
        val = row["history"]["val_accuracy"][row["best_epoch"] - 1]
        rows.append({"model": row["model"], "book": row["book"], "reference": row["book_reference"],
                     "eval_holdout": round(val, 4), "test": round(row["metric"], 4),
                     "test_minus_book": round(row["metric"] - row["book"], 4),
                     "eval_minus_book": round(val - row["book"], 4)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--glove", required=True)
    parser.add_argument("--data-dir", type=pathlib.Path,
                        default=pathlib.Path("../shared/data/imdb"))
    parser.add_argument("--token-cache", type=pathlib.Path,
                        default=pathlib.Path("/tmp/imdb_tokens.pkl"))
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    spec = models.get_model_spec("imdb_glove", "imdb")
    config = configure.train_config("imdb", "imdb_glove")
    data = load_tokens(args.data_dir, args.token_cache)
    counts = collections.Counter(t for row in data["train"][0] for t in row)
    vocab = [word for word, _ in counts.most_common(config.text.max_tokens)]
    index = {word: i + 1 for i, word in enumerate(vocab)}  # as the Transform ids: 0 = padding
    oov = config.text.max_tokens + 1
    matrix = glove.embedding_matrix(vocab, args.glove, config.text.vocab_size).weights

    def arrays(name):
        ids = [[index.get(t, oov) for t in row] for row in data[name][0]]
        x = keras.preprocessing.sequence.pad_sequences(
            ids, maxlen=config.text.sequence_length, padding="pre", truncating="pre")
        return {"text_xf": x}, data[name][1]

    (x_train, y_train), evaluation, test = arrays("train"), arrays("eval"), arrays("test")
    runs = []
    for seed in range(args.seeds):
        pick = np.random.default_rng(seed).choice(len(y_train), config.max_train_examples,
                                                  replace=False)
        subset = ({"text_xf": x_train["text_xf"][pick]}, y_train[pick])
        row = {"seed": seed, "positives": int(subset[1].sum())}
        for protocol in ("pipeline", "book"):
            keras.utils.set_random_seed(seed)
            model = spec.builder(config, weights=matrix)
            if protocol == "pipeline":
                with tempfile.TemporaryDirectory() as log_dir:
                    train.fit(model, tf.data.Dataset.from_tensor_slices(subset).shuffle(
                        200, seed=seed).batch(config.batch_size),
                        tf.data.Dataset.from_tensor_slices(evaluation).batch(512), config,
                        task_lib.get_task("imdb"), log_dir)
            else:
                model.compile(train.make_optimizer(config), "binary_crossentropy", ["accuracy"])
                model.fit(*subset, epochs=10, batch_size=config.batch_size, verbose=0)
            row[protocol] = round(float(model.evaluate(*test, batch_size=512, verbose=0)[1]), 4)
        runs.append(row)
        print(json.dumps(row), flush=True)
    book = spec.book
    summary = {p: {"mean": round(float(np.mean([r[p] for r in runs])), 4),
                   "min": min(r[p] for r in runs), "max": max(r[p] for r in runs)}
               for p in ("pipeline", "book")}
    gaps = validation_vs_test()
    table = [["model / GloVe draw", "book", "eval holdout (best epoch)", "test", "Δ test",
              "Δ eval"]]
    table += [[f"`{g['model']}`", f"{g['book']:.3f}", f"{g['eval_holdout']:.4f}",
               f"{g['test']:.4f}", f"{g['test_minus_book']:+.4f}", f"{g['eval_minus_book']:+.4f}"]
              for g in gaps]
    table += [[f"`imdb_glove` draw {r['seed']} ({r['positives']} pos), pipeline / book protocol",
               f"{book:.3f}", "", f"{r['pipeline']:.4f} / {r['book']:.4f}",
               f"{r['pipeline'] - book:+.4f} / {r['book'] - book:+.4f}", ""] for r in runs]
    table += [[f"`imdb_glove` {len(runs)} draws: mean [min, max], {p} protocol", f"{book:.3f}",
               "", f"{s['mean']:.4f} [{s['min']:.4f}, {s['max']:.4f}]", "", ""]
              for p, s in summary.items()]
    payload = {"machine": common.machine(), "validation_vs_test": gaps,
               "glove": {"book": book, "runs": runs, "summary": summary, "file": args.glove,
                         "text": config.text.to_dict()}}
    print(common.write_results("imdb_book_gaps", payload, table).read_text())


if __name__ == "__main__":
    main()
