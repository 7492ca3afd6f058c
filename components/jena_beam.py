"""The Jena CSV rules (components/jena_csv.py) in Beam, with the file read by a Beam source.

No row enters the job graph (a distributed runner receives the graph with the job): lines come
from `LineSource`, a FileBasedSource (splittable for an uncompressed file; one reader for a
gzipped one) that gives each line with its byte offset, the file order some rules need. What
the rules need globally comes from combiners, as small side inputs:

- the column plan: per-column counts of unparseable values;
- per chunk of `CHUNK_BYTES` of the file, its largest timestamp and its last parseable row:
  with them each chunk, read alone in file order (offsets and timestamps only), finds the rows
  out of chronological order and the row each bad line follows;
- duplicated timestamps: rows grouped by timestamp (a group is one row unless it repeats);
- the split cut points: distinct timestamps counted per bucket of `BUCKET_STEPS` intervals, the
  split rule's boundary rows then found inside their buckets; time gaps from each bucket's
  sorted timestamps and the last timestamp of the bucket before it.

So a worker holds at most one chunk's (offset, timestamp) pairs or one bucket's timestamps,
besides tables of one entry per chunk and per bucket.
"""

from __future__ import annotations

import bisect
import csv
import json
import math
from typing import Any

import apache_beam as beam
from apache_beam.io import filebasedsource
from apache_beam.io.filesystems import FileSystems

from components import example_gen, jena_csv
from core import features
from core.config import JenaIngestConfig

CHUNK_BYTES = 1 << 20  # ~12,000 rows of the real file
BUCKET_STEPS = 1024  # timestamps per bucket of a regular series (7.1 days at 10 minutes)
_MAX_LISTED_GAPS = 100
_OUT_OF_ORDER = "row out of chronological order (re-sorted)"


class LineSource(filebasedsource.FileBasedSource):
    """(byte offset, line) of every line of a text file; a line belongs to the range it starts in.

    Offsets count uncompressed bytes; a compressed file is not split (FileBasedSource's rule).
    """

    def read_records(self, file_name, range_tracker):
        start = range_tracker.start_position()
        with self.open_file(file_name) as handle:
            position = 0
            if start > 0:  # finish the line begun before this range: the range before owns it
                handle.seek(start - 1)
                position = start - 1 + len(handle.readline())
            while True:
                line = handle.readline()
                if not line or not range_tracker.try_claim(position):
                    return
                yield position, line
                position += len(line)


def read_header(path: str) -> list[str]:
    """The CSV's first line as column names (checked by jena_csv.read_header)."""
    with FileSystems.open(path) as handle:  # decompresses by file extension, as the source
        line = handle.readline()
    if not line.strip():
        raise ValueError(f"{path} is empty; expected a Jena climate CSV")
    fields = next(csv.reader([line.decode("utf-8-sig", errors="replace").rstrip("\r\n")]))
    return jena_csv.read_header(path, fields)


class _Sums(beam.CombineFn):
    """Element-wise sums of equal-length tuples (an empty input gives ())."""

    def create_accumulator(self):
        return ()

    def add_input(self, total, values):
        if not total:
            return tuple(values)
        return tuple(a + b for a, b in zip(total, values, strict=True))

    def merge_accumulators(self, totals):
        merged = ()
        for total in totals:
            merged = self.add_input(merged, total) if total else merged
        return merged

    def extract_output(self, total):
        return total


def _last_and_max(items):
    """Chunk summary (largest timestamp, last offset, its timestamp); also merges summaries."""
    items = list(items)
    return (max(item[0] for item in items), *max((item[1], item[2]) for item in items))


def _stats(items):
    """(count, first, last) of timestamps; also merges partial results."""
    items = list(items)
    return (sum(item[0] for item in items), min(item[1] for item in items),
            max(item[2] for item in items))


class _Parse(beam.DoFn):
    """(offset, line) -> rows (offset, stamp, values, codes); bad lines to `bad`."""

    def __init__(self, header: list[str]):
        self._header = header

    def process(self, record):
        offset, line = record
        if offset:  # offset 0 is the header
            yield from self._parse(offset, line)

    def _parse(self, offset: int, line: bytes):
        time_index = self._header.index(features.JENA_TIME_COLUMN)
        columns = [i for i in range(len(self._header)) if i != time_index]
        text = line.decode("utf-8", errors="replace").rstrip("\r\n")
        parsed = jena_csv.parse_row(next(csv.reader([text]), []), len(self._header),
                                    time_index, columns)
        if isinstance(parsed, str):
            yield beam.pvalue.TaggedOutput("bad", (offset, parsed))
        else:
            yield offset, parsed[0], tuple(parsed[1]), tuple(parsed[2])


def _plan(counts, path: str, header: list[str]) -> dict[str, Any]:
    if not counts or not counts[0]:
        raise ValueError(f"{path} has no parseable data row")
    names, originals, keep, ignored = jena_csv.column_plan(path, header, counts[1:], counts[0])
    return {"rows": counts[0], "names": names, "originals": originals, "keep": keep,
            "ignored": ignored}


def _in_file_order(element, summaries):
    """One chunk in file order -> (stamp or None, kind, reason) issues keyed by the row's time.

    A row is out of order when an earlier row of the file is later; a bad line goes with the
    parseable row before it (None: none, the train split).
    """
    chunk, items = element
    earlier = [summary for key, summary in summaries.items() if key < chunk]
    running = max((summary[0] for summary in earlier), default=None)
    last = max(((summary[1], summary[2]) for summary in earlier), default=(None, None))[1]
    for _, stamp, reason in sorted(items, key=lambda item: item[0]):
        if stamp is None:
            yield last, example_gen.SKIPPED, reason
            continue
        if running is not None and stamp < running:
            yield stamp, example_gen.REPAIRED, _OUT_OF_ORDER
        running = stamp if running is None else max(running, stamp)
        last = stamp


def _same(first, second, keep) -> bool:
    return all(first[i] == second[i] or (math.isnan(first[i]) and math.isnan(second[i]))
               for i in keep)


def _dedupe(element, plan):
    """The first row of a timestamp in file order; each repeat is an issue of that time."""
    stamp, items = element
    items = sorted(items, key=lambda item: item[0])
    yield stamp, items[0][1], items[0][2]
    for (_, previous, _), (_, values, _) in zip(items, items[1:], strict=False):
        why = "identical row" if _same(previous, values, plan["keep"]) else "different values"
        yield beam.pvalue.TaggedOutput("issues", (
            stamp, example_gen.SKIPPED, f"duplicated timestamp, {why} (first kept)"))


def _boundary_stamps(element, table, config: JenaIngestConfig):
    """(boundary row, its timestamp) for the split rule's boundaries inside this bucket."""
    bucket, stamps = element
    rows = sum(count for count, _, _ in table.values())
    before = sum(count for key, (count, _, _) in table.items() if key < bucket)
    for row in jena_csv.split_bounds(rows, config)[:2]:
        if before <= row < before + len(stamps):
            yield row, stamps[row - before]


def _split_info(boundaries, table, config: JenaIngestConfig) -> dict[str, Any]:
    rows = sum(count for count, _, _ in table.values())
    train_end, eval_end, rule = jena_csv.split_bounds(rows, config)
    bounds = {"train": (0, train_end), "eval": (train_end, eval_end), "test": (eval_end, rows)}
    for split, (start, end) in bounds.items():
        if end <= start:
            raise ValueError(f"split '{split}' would be empty: {rows} rows, "
                             f"{rule} rule gives rows [{start}, {end})")
    cuts = dict(boundaries)
    return {"rule": rule, "train_cut": cuts[train_end], "eval_cut": cuts[eval_end]}


def split_of(stamp: int | None, info: dict[str, Any]) -> str:
    """The split of a timestamp (None: a bad line before any row, reported with train)."""
    if stamp is None or stamp < info["train_cut"]:
        return "train"
    return "eval" if stamp < info["eval_cut"] else "test"


def _gaps(element, table, info, interval: int):
    """Gaps (steps other than the interval) inside a split, from this bucket's timestamps."""
    bucket, stamps = element
    keys = sorted(table)
    index = bisect.bisect_left(keys, bucket)
    sequence = ([table[keys[index - 1]][2]] if index else []) + stamps
    for after, before in zip(sequence, sequence[1:], strict=False):
        split = split_of(after, info)
        if before - after != interval and split == split_of(before, info):
            gap, issues = jena_csv.gap_record(split, after, before, interval)
            yield after, gap
            for kind, reason in issues:
                yield beam.pvalue.TaggedOutput("issues", (split, (kind, reason)))


class _Route(beam.DoFn):
    """Kept rows -> one output per split; their missing, unparseable and sentinel values."""

    def process(self, row, info, plan):
        stamp, _, codes = row
        split = split_of(stamp, info)
        yield beam.pvalue.TaggedOutput(split, row)
        for position, original in zip(plan["keep"], plan["originals"], strict=True):
            if codes[position] != jena_csv.VALUE_OK:
                yield beam.pvalue.TaggedOutput("issues", (split, (
                    example_gen.KEPT, jena_csv.value_reason(codes[position], original))))


def _train_check(valid_counts, plan) -> bool:
    for count, column in zip(valid_counts, plan["originals"], strict=True):
        if not count:
            raise ValueError(f"column '{column}' has no valid value in the train split")
    return True


def _summary(_, plan, info, split_stats, gap_counts, gaps, checked, config):
    del checked  # computed only to raise when a column has no train value
    return {
        "columns": [{"feature": name, "original": original}
                    for name, original in zip(plan["names"], plan["originals"], strict=True)],
        "ignored_columns": plan["ignored"],
        "rows_parsed": plan["rows"],
        "split_rule": info["rule"],
        "config": config.to_dict(),
        "splits": {split: {"rows": split_stats[split][0],
                           "first": jena_csv.format_time(split_stats[split][1]),
                           "last": jena_csv.format_time(split_stats[split][2]),
                           "gaps": gap_counts.get(split, 0)} for split in jena_csv.SPLITS},
        "gaps": [gap for _, gap in sorted(gaps, key=lambda item: item[0])],
    }


def read_jena(pipeline: beam.Pipeline, path: str, config: JenaIngestConfig,
              chunk_bytes: int = CHUNK_BYTES, bucket_steps: int = BUCKET_STEPS):
    """({split: (tf.Examples, (kind, reason) issues)}, summary) of the CSV at `path`.

    The summary (a one-element PCollection) is what jena_csv.read_jena_csv returns as
    `JenaData.summary`; the examples and issues are those of its splits. `chunk_bytes` and
    `bucket_steps` bound what one worker holds (module docstring); any values give the same
    output.
    """
    header = read_header(path)
    lines = pipeline | "ReadLines" >> beam.io.Read(LineSource(path))
    parsed = lines | "Parse" >> beam.ParDo(_Parse(header)).with_outputs("bad", main="rows")
    rows, bad = parsed.rows, parsed.bad
    plan = beam.pvalue.AsSingleton(
        rows | "BadPerColumn" >> beam.Map(lambda row: (1, *(code == jena_csv.VALUE_BAD
                                                             for code in row[3])))
        | "SumBad" >> beam.CombineGlobally(_Sums())
        | "ColumnPlan" >> beam.Map(_plan, path, header))

    # File order, one chunk at a time: rows out of order, and the row a bad line follows.
    c = chunk_bytes
    marks = ((rows | "RowMarks" >> beam.Map(lambda r, c=c: (r[0] // c, (r[0], r[1], None))),
              bad | "BadMarks" >> beam.Map(lambda b, c=c: (b[0] // c, (b[0], None, b[1]))))
             | "Marks" >> beam.Flatten())
    chunks = beam.pvalue.AsDict(
        rows | "ChunkOf" >> beam.Map(lambda r, c=chunk_bytes: (r[0] // c, (r[1], r[0], r[1])))
        | "ChunkSummary" >> beam.CombinePerKey(_last_and_max))
    order_issues = (marks | "GroupChunks" >> beam.GroupByKey()
                    | "FileOrder" >> beam.FlatMap(_in_file_order, chunks))

    kept = (rows | "ByTime" >> beam.Map(lambda r: (r[1], (r[0], r[2], r[3])))
            | "GroupTimes" >> beam.GroupByKey()
            | "Dedupe" >> beam.FlatMap(_dedupe, plan).with_outputs("issues", main="kept"))

    width = config.interval_seconds * bucket_steps
    buckets = (kept.kept | "BucketOf" >> beam.Map(lambda k, w=width: (k[0] // w, k[0]))
               | "GroupBuckets" >> beam.GroupByKey()
               | "SortBucket" >> beam.MapTuple(lambda key, stamps: (key, sorted(stamps))))
    table = beam.pvalue.AsDict(buckets | "BucketTable" >> beam.MapTuple(
        lambda key, stamps: (key, (len(stamps), stamps[0], stamps[-1]))))
    info = beam.pvalue.AsSingleton(
        buckets | "Boundaries" >> beam.FlatMap(_boundary_stamps, table, config)
        | "AllBoundaries" >> beam.combiners.ToList()
        | "SplitInfo" >> beam.Map(_split_info, table, config))
    gaps = buckets | "Gaps" >> beam.FlatMap(
        _gaps, table, info, config.interval_seconds).with_outputs("issues", main="gaps")
    routed = kept.kept | "Route" >> beam.ParDo(_Route(), info, plan).with_outputs(
        "issues", *jena_csv.SPLITS)

    issues = (
        (order_issues, kept.issues)
        | "TimedIssues" >> beam.Flatten()
        | "IssueSplit" >> beam.Map(lambda i, s: (split_of(i[0], s), (i[1], i[2])), info),
        gaps.issues, routed.issues,
        pipeline | "Once" >> beam.Create([None])
        | "IgnoredColumns" >> beam.FlatMap(lambda _, p: [
            ("train", (example_gen.SKIPPED, f"non-numeric column '{c}' left out"))
            for c in p["ignored"]], plan),
    ) | "AllIssues" >> beam.Flatten()

    outputs = {}
    for split in jena_csv.SPLITS:
        examples = routed[split] | f"ToExample[{split}]" >> beam.Map(
            lambda row, p: jena_csv.to_example(row[0], [row[1][i] for i in p["keep"]],
                                               p["names"]), plan)
        split_issues = (issues | f"Issues[{split}]" >> beam.Filter(lambda i, s=split: i[0] == s)
                        | f"Reason[{split}]" >> beam.Map(lambda i: i[1]))
        outputs[split] = (examples, split_issues)

    checked = beam.pvalue.AsSingleton(
        routed.train | "TrainValid" >> beam.Map(
            lambda row, p: tuple(row[2][i] == jena_csv.VALUE_OK for i in p["keep"]), plan)
        | "SumValid" >> beam.CombineGlobally(_Sums())
        | "TrainCheck" >> beam.Map(_train_check, plan))
    split_stats = beam.pvalue.AsDict(
        (routed.train, routed.eval, routed.test) | "Kept" >> beam.Flatten()
        | "SplitOf" >> beam.Map(lambda row, s: (split_of(row[0], s), (1, row[0], row[0])), info)
        | "SplitStats" >> beam.CombinePerKey(_stats))
    gap_counts = beam.pvalue.AsDict(
        gaps.gaps | "GapSplit" >> beam.Map(lambda g: (g[1]["split"], 1))
        | "GapCounts" >> beam.CombinePerKey(sum))
    listed = beam.pvalue.AsSingleton(gaps.gaps | "FirstGaps" >> beam.combiners.Top.Of(
        _MAX_LISTED_GAPS, key=lambda gap: -gap[0]))
    summary = pipeline | "SummaryOnce" >> beam.Create([None]) | "Summary" >> beam.Map(
        _summary, plan, info, split_stats, gap_counts, listed, checked, config)
    return outputs, summary


def write_json(value: dict[str, Any], path: str) -> None:
    """Writes `value` as JSON (sorted keys) to `path`, on any Beam filesystem."""
    with FileSystems.create(path) as handle:
        handle.write(json.dumps(value, sort_keys=True).encode("utf-8"))
