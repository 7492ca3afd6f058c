"""Which NBSVM-style feature set reaches 92% IMDB test accuracy, before it goes into the pipeline.

Plain script on the real data: the pipeline's splits (20,000 train / 5,000 eval / 25,000 test,
bench/plain_keras_imdb.py reads them as ExampleGen does) and its tokenizer (transform/text.py).
NB log-count ratios (Wang & Manning 2012) come from the train split only. Every attempt's test
accuracy goes to bench/results/imdb_nbsvm_explore.{json,md}, not only the best.
Usage: python -m bench.imdb_nbsvm_explore --data-dir ../shared/data/imdb
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import pickle
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from sklearn.feature_extraction.text import CountVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from bench import common  # noqa: E402
from bench.plain_keras_imdb import load_split, tokenize  # noqa: E402
from components import imdb_gen  # noqa: E402
from core.config import IngestConfig  # noqa: E402
from rawdata import locate  # noqa: E402

SPLITS = (imdb_gen.TRAIN, imdb_gen.EVAL, imdb_gen.TEST)


def load_tokens(data_dir: pathlib.Path, cache: pathlib.Path) -> dict:
    """{split: (token lists, labels)}, tokenized once by the Transform graph's tokenizer."""
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    root = locate.resolve_imdb(data_dir, pathlib.Path.home() / ".cache" / "tfx-text-pipelines")
    splits = {}
    for name in SPLITS:
        texts, labels = load_split(root, name, IngestConfig())
        splits[name] = (tokenize(texts), labels)
    cache.write_bytes(pickle.dumps(splits))
    return splits


def ngrams(tokens: list[str], n: int) -> list[str]:
    """1..n-grams joined by spaces, as `tft.ngrams(..., separator=" ")` emits them."""
    return [" ".join(tokens[i:i + k]) for k in range(1, n + 1)
            for i in range(len(tokens) - k + 1)]


def nb_ratio(x: sp.csr_matrix, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """r = log((p / |p|1) / (q / |q|1)), p and q the smoothed per-class feature counts."""
    p = alpha + np.asarray(x[y == 1].sum(axis=0)).ravel()
    q = alpha + np.asarray(x[y == 0].sum(axis=0)).ravel()
    return np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)


def keras_head(xs: dict, y: dict, max_tokens: int, lr: float, batch: int) -> float:
    """The pipeline's head (`imdb_nbsvm`'s builder, Adam, best epoch on eval) on x*r."""
    import tensorflow as tf
    import tf_keras as keras

    from core.config import TextConfig, TrainConfig
    from trainer.models import imdb

    keras.utils.set_random_seed(42)
    config = TrainConfig(model="imdb_nbsvm", text=TextConfig(
        representation="nb", ngrams=3, max_tokens=max_tokens))
    model = imdb.build_nbsvm(config)
    model.compile(keras.optimizers.Adam(lr), "binary_crossentropy", ["accuracy"])

    def dataset(name, shuffle):
        c = xs[name].tocsr().tocoo()
        positions = np.concatenate([np.arange(n) for n in np.diff(xs[name].tocsr().indptr)])
        index = np.stack([c.row, positions], 1).astype(np.int64)
        shape = (c.shape[0], int(positions.max()) + 1)
        ids = tf.SparseTensor(index, c.col.astype(np.int64), shape)
        weights = tf.SparseTensor(index, c.data.astype(np.float32), shape)
        data = tf.data.Dataset.from_tensor_slices(
            ({"text_xf_ids": ids, "text_xf_weights": weights}, y[name]))
        return (data.shuffle(len(y[name]), seed=42) if shuffle else data).batch(batch)

    model.fit(dataset("train", True), validation_data=dataset("eval", False), epochs=10,
              verbose=2, callbacks=[keras.callbacks.EarlyStopping(
                  patience=2, restore_best_weights=True)])
    return float(model.evaluate(dataset("test", False), verbose=0)[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=pathlib.Path, required=True)
    parser.add_argument("--token-cache", type=pathlib.Path,
                        default=pathlib.Path("/tmp/imdb_tokens.pkl"))
    parser.add_argument("--max-features", type=int, default=1_000_000)
    args = parser.parse_args()
    data = load_tokens(args.data_dir, args.token_cache)
    y = {name: data[name][1] for name in SPLITS}
    attempts = []

    def record(**row):
        attempts.append(row)
        print(json.dumps(row), flush=True)
        write(attempts)

    start = time.monotonic()
    vectorizer = CountVectorizer(analyzer=lambda t: ngrams(t, 3), binary=True,
                                 max_features=args.max_features, dtype=np.float32)
    full = {"train": vectorizer.fit_transform(data["train"][0])}
    for name in ("eval", "test"):
        full[name] = vectorizer.transform(data[name][0])
    print(f"featurized in {time.monotonic() - start:.0f}s", flush=True)
    grams = vectorizer.get_feature_names_out()
    bigram_cols = np.flatnonzero([g.count(" ") <= 1 for g in grams])
    for n, cols in ((2, bigram_cols), (3, np.arange(len(grams)))):
        xb = {name: m[:, cols].tocsr() for name, m in full.items()}
        r = nb_ratio(xb["train"], y["train"])
        xr = {name: m.multiply(r).tocsr() for name, m in xb.items()}
        base = {"ngrams": n, "max_features": len(cols)}
        for c in (0.1, 1.0):
            clf = LogisticRegression(C=c, dual=True, solver="liblinear", max_iter=200)
            clf.fit(xr["train"], y["train"])
            record(**base, head="NB-LR (liblinear, dual)", C=c,
                   test_accuracy=round(clf.score(xr["test"], y["test"]), 4))
        svm = LinearSVC(C=1.0, dual=True, max_iter=2000).fit(xr["train"], y["train"])
        w, b = svm.coef_.ravel(), svm.intercept_[0]
        for beta in (0.25, 1.0):  # Wang & Manning's interpolation w' = (1-β) mean|w| + β w
            w2 = (1 - beta) * np.abs(w).mean() + beta * w
            pred = (xr["test"] @ w2 + b) > 0
            record(**base, head="NBSVM (L2-SVM, interpolated)", beta=beta,
                   test_accuracy=round(float((pred == y["test"]).mean()), 4))
        if n == 3:
            for lr, batch in ((1e-3, 32), (1e-4, 32)):
                record(**base, head="imdb_nbsvm head on x*r (Adam)", lr=lr, batch=batch,
                       test_accuracy=round(keras_head(xr, y, len(cols), lr, batch), 4))


def write(attempts: list[dict]) -> None:
    common.RESULTS.mkdir(exist_ok=True)
    (common.RESULTS / "imdb_nbsvm_explore.json").write_text(json.dumps(
        {"machine": common.machine(), "attempts": attempts}, indent=2))
    lines = ["# imdb_nbsvm_explore", "",
             "Plain script, real IMDB: NB ratios and models fit on the pipeline's 20,000-review "
             "train split, accuracy on the 25,000-review test split. Features: the 10^6 most "
             "document-frequent train 1..3-grams (the 1..2 rows keep those of them with at most "
             "two words), binarized, times r.", "",
             "| n-grams | features | head | setting | test accuracy |", "|---|---|---|---|---:|"]
    for row in attempts:
        setting = ", ".join(f"{k}={row[k]}" for k in ("C", "beta", "lr", "batch") if k in row)
        lines.append(f"| 1..{row['ngrams']} | {row['max_features']:,} | {row['head']} | "
                     f"{setting} | {row['test_accuracy']:.4f} |")
    (common.RESULTS / "imdb_nbsvm_explore.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
