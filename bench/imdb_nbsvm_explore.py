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


def keras_linear(xs: dict, y: dict, epochs: int, lr: float, l2: float) -> float:
    """The pipeline's head: one Dense(1, sigmoid) on x∘r, Adam, best epoch on eval."""
    import tf_keras as keras
    keras.utils.set_random_seed(42)
    model = keras.Sequential([keras.layers.Dense(
        1, activation="sigmoid", kernel_regularizer=keras.regularizers.l2(l2) if l2 else None)])
    model.compile(keras.optimizers.Adam(lr), "binary_crossentropy", ["accuracy"])

    def to_tf(m):
        import tensorflow as tf
        c = m.tocoo()
        return tf.sparse.reorder(tf.SparseTensor(
            np.stack([c.row, c.col], 1).astype(np.int64), c.data.astype(np.float32), c.shape))

    import tensorflow as tf
    train = tf.data.Dataset.from_tensor_slices((to_tf(xs["train"]), y["train"])).shuffle(
        20_000, seed=42).batch(32)
    evald = tf.data.Dataset.from_tensor_slices((to_tf(xs["eval"]), y["eval"])).batch(512)
    model.fit(train, validation_data=evald, epochs=epochs, verbose=0, callbacks=[
        keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)])
    test = tf.data.Dataset.from_tensor_slices((to_tf(xs["test"]), y["test"])).batch(512)
    return float(model.evaluate(test, verbose=0)[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=pathlib.Path, required=True)
    parser.add_argument("--token-cache", type=pathlib.Path,
                        default=pathlib.Path("/tmp/imdb_tokens.pkl"))
    args = parser.parse_args()
    data = load_tokens(args.data_dir, args.token_cache)
    y = {name: data[name][1] for name in SPLITS}
    attempts = []

    def record(**row):
        attempts.append(row)
        print(json.dumps(row), flush=True)

    for n, max_features in ((2, 200_000), (3, 500_000), (3, 1_000_000)):
        start = time.monotonic()
        vectorizer = CountVectorizer(analyzer=lambda t, n=n: ngrams(t, n), binary=True,
                                     max_features=max_features, dtype=np.float32)
        xb = {"train": vectorizer.fit_transform(data["train"][0])}
        for name in ("eval", "test"):
            xb[name] = vectorizer.transform(data[name][0])
        r = nb_ratio(xb["train"], y["train"])
        xr = {name: m.multiply(r).tocsr() for name, m in xb.items()}
        base = {"ngrams": n, "max_features": max_features,
                "featurize_s": round(time.monotonic() - start)}
        for c in (0.1, 1.0):
            clf = LogisticRegression(C=c, dual=True, solver="liblinear", max_iter=200)
            clf.fit(xr["train"], y["train"])
            record(**base, head="NB-LR (liblinear, dual)", C=c,
                   test_accuracy=round(clf.score(xr["test"], y["test"]), 4))
        svm = LinearSVC(C=1.0, max_iter=2000).fit(xr["train"], y["train"])
        w, b = svm.coef_.ravel(), svm.intercept_[0]
        for beta in (0.25, 1.0):  # Wang & Manning's interpolation w' = (1-β) mean|w| + β w
            w2 = (1 - beta) * np.abs(w).mean() + beta * w
            pred = (xr["test"] @ w2 + b) > 0
            record(**base, head="NBSVM (L2-SVM, interpolated)", beta=beta,
                   test_accuracy=round(float((pred == y["test"]).mean()), 4))
        if n == 3:
            for lr, l2 in ((1e-3, 0.0), (1e-4, 0.0)):
                record(**base, head="Keras Dense(1) on x*r (Adam)", lr=lr, l2=l2,
                       test_accuracy=round(keras_linear(xr, y, 10, lr, l2), 4))
    write(attempts)


def write(attempts: list[dict]) -> None:
    common.RESULTS.mkdir(exist_ok=True)
    (common.RESULTS / "imdb_nbsvm_explore.json").write_text(json.dumps(
        {"machine": common.machine(), "attempts": attempts}, indent=2))
    lines = ["# imdb_nbsvm_explore", "",
             "Plain script, real IMDB: NB ratios and models fit on the pipeline's 20,000-review "
             "train split, accuracy on the 25,000-review test split.", "",
             "| n-grams | features | head | setting | test accuracy |", "|---|---|---|---|---:|"]
    for row in attempts:
        setting = ", ".join(f"{k}={row[k]}" for k in ("C", "beta", "lr", "l2") if k in row)
        lines.append(f"| 1..{row['ngrams']} | {row['max_features']:,} | {row['head']} | "
                     f"{setting} | {row['test_accuracy']:.4f} |")
    (common.RESULTS / "imdb_nbsvm_explore.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
