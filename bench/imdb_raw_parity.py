"""Train/serve parity on the full IMDB data: raw review files served vs what TFMA certified.

    python -m bench.imdb_raw_parity --data-dir ../shared/data/imdb [--output-dir DIR]
        [--reviews 2000] [--seed 0] [--skip-run]

Runs the README's IMDB pipeline (unless --skip-run reuses DIR), then takes a seeded sample of
aclImdb/test review files, sends each file's bytes as they are (about 59% hold `<br />` tags)
through the pushed model's `serving_default`, and compares:
- the accuracy on those raw files with the Evaluator's (TFMA) test accuracy;
- each raw file's probability with what `serving_tf_example` gives the ingested example of the
  same review (the Evaluator's signature): the largest absolute difference is the skew.
Writes bench/results/imdb_raw_parity.{json,md} (`--name` to keep, say, an older commit's run
apart: run the pipeline from that commit's checkout, then this script with --skip-run).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import random
import sys

import numpy as np

from bench import common

REPO = pathlib.Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=pathlib.Path, required=True)
    parser.add_argument("--output-dir", type=pathlib.Path,
                        default=pathlib.Path("/tmp/imdb_raw_parity"))
    parser.add_argument("--reviews", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-run", action="store_true", help="reuse OUTPUT_DIR's last run")
    parser.add_argument("--name", default="imdb_raw_parity",
                        help="results file name (e.g. to keep a run of older code apart)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    run = None
    if not args.skip_run:
        run = common.run_measured(
            [str(REPO / "tfx-text"), "run", "imdb", "--data-dir", str(args.data_dir),
             "--output-dir", str(args.output_dir)], args.output_dir.with_suffix(".log"))
        if run["returncode"] != 0:
            print(f"pipeline failed; see {args.output_dir.with_suffix('.log')}", file=sys.stderr)
            return 1
    return report(args, run)


def report(args: argparse.Namespace, run: dict | None) -> int:
    import tensorflow as tf

    from core import names
    from pipeline import results
    from rawdata import locate

    summary = results.summarize(str(args.output_dir / "metadata" / "imdb-pipeline.sqlite"))
    if not summary.pushed_to:
        print(f"no pushed model ({summary.failures})", file=sys.stderr)
        return 1
    aclimdb = locate.resolve_imdb(args.data_dir, args.output_dir / "cache")
    files = sorted((aclimdb / "test").glob("*/*.txt"))
    sample = random.Random(args.seed).sample(files, args.reviews)
    raw = [path.read_bytes() for path in sample]
    labels = np.array([1 if path.parent.name == "pos" else 0 for path in sample])
    served = tf.saved_model.load(summary.pushed_to)
    by_file = np.concatenate([
        served.signatures[names.DEFAULT_SIGNATURE](text=tf.constant(raw[i:i + 256]))
        ["probability"].numpy() for i in range(0, len(raw), 256)])
    by_example = _ingested_scores(summary, served, {
        f"test/{p.parent.name}/{p.name.split('_')[0]}": i for i, p in enumerate(sample)})
    accuracy = float(np.mean((by_file >= 0.5) == labels))
    skew = float(np.max(np.abs(by_file - by_example)))
    payload = {
        "machine": common.machine(), "pipeline_run": run, "pushed_to": summary.pushed_to,
        "reviews": args.reviews, "seed": args.seed,
        "with_line_breaks": int(sum(b"<br" in text.lower() for text in raw)),
        "raw_file_accuracy": accuracy,
        "tfma_test_accuracy": summary.metrics.get("binary_accuracy"),
        "max_abs_difference_raw_vs_evaluator_signature": skew,
        "decisions_flipped": int(np.sum((by_file >= 0.5) != (by_example >= 0.5))),
    }
    table = [["measure", "value"],
             ["reviews sampled from aclImdb/test (seed)", f"{args.reviews} ({args.seed})"],
             ["holding `<br />` tags", str(payload["with_line_breaks"])],
             ["accuracy on the raw files (`serving_default`)", f"{accuracy:.4f}"],
             ["TFMA test accuracy (25,000 ingested examples)",
              f"{payload['tfma_test_accuracy']:.4f}"],
             ["max abs(raw file − Evaluator signature on its example)", f"{skew:.2e}"],
             ["decisions that differ", str(payload["decisions_flipped"])]]
    print(common.write_results(args.name, payload, table).read_text())
    return 0


def _ingested_scores(summary, served, position: dict[str, int]) -> np.ndarray:
    """`serving_tf_example` on ExampleGen's test examples of the sampled reviews, in order."""
    import tensorflow as tf

    from core import names

    uri = summary.artifacts["ImdbExampleGen"]["examples"]
    files = tf.io.gfile.glob(os.path.join(uri, "Split-test", "*"))
    records = [None] * len(position)
    for record in tf.data.TFRecordDataset(files, compression_type="GZIP").as_numpy_iterator():
        review = tf.train.Example.FromString(record).features.feature["review_id"]
        index = position.get(review.bytes_list.value[0].decode())
        if index is not None:
            records[index] = record
    if any(record is None for record in records):
        raise ValueError("some sampled reviews are missing from the ingested test split")
    return np.concatenate([
        served.signatures[names.EXAMPLE_SIGNATURE](examples=tf.constant(records[i:i + 256]))
        ["probability"].numpy() for i in range(0, len(records), 256)])


if __name__ == "__main__":
    sys.exit(main())
