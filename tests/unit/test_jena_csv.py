"""Jena ExampleGen parsing: chronological splits, cleaning rules and the ingest issues."""

from __future__ import annotations

import collections
import gzip

import numpy as np
import pytest

from components import example_gen, jena_csv
from core.config import JenaIngestConfig


def plain_csv(gz_path, tmp_path, edit=None):
    """Unpacks a real Jena fragment, optionally editing its lines (list of str, header first)."""
    with gzip.open(gz_path, "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    if edit:
        lines = edit(lines)
    path = tmp_path / "jena.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def issues(data, split):
    return collections.Counter(data.splits[split].issues)


def test_fragment_splits_are_chronological_50_25_25_without_leakage(jena_fragment, tmp_path):
    data = jena_csv.read_jena_csv(plain_csv(jena_fragment, tmp_path), JenaIngestConfig())
    sizes = {name: len(split.timestamps) for name, split in data.splits.items()}
    assert sizes == {"train": 2000, "eval": 1000, "test": 1000}
    train, evaluation, test = (data.splits[s].timestamps for s in ("train", "eval", "test"))
    assert train.max() < evaluation.min() and evaluation.max() < test.min()
    assert train[0] == jena_csv.parse_time("01.01.2009 00:10:00")
    assert test[-1] == jena_csv.parse_time("28.01.2009 18:40:00")
    assert data.summary["split_rule"] == "fractions"
    assert all(not split.issues for split in data.splits.values())  # the fragment is clean
    assert data.names[:3] == ["p_mbar", "t_degc", "tpot_k"] and len(data.names) == 11
    assert dict(zip(data.names, data.originals, strict=True))["rho_g_m_3"] == "rho (g/m**3)"


def test_book_row_boundaries_apply_when_the_series_is_long_enough(jena_fragment, tmp_path):
    path = plain_csv(jena_fragment, tmp_path)
    rows = jena_csv.read_jena_csv(path, JenaIngestConfig(split_rows=(2500, 3500)))
    assert [len(rows.splits[s].timestamps) for s in jena_csv.SPLITS] == [2500, 1000, 500]
    assert rows.summary["split_rule"] == "rows"
    # 4,000 rows are not more than 4,000: the fractions (2nd edition) apply instead.
    short = jena_csv.read_jena_csv(path, JenaIngestConfig(split_rows=(2500, 4000)))
    assert [len(short.splits[s].timestamps) for s in jena_csv.SPLITS] == [2000, 1000, 1000]
    assert jena_csv.split_bounds(420_551, JenaIngestConfig()) == (200_000, 300_000, "rows")
    assert jena_csv.split_bounds(19, JenaIngestConfig()) == (9, 13, "fractions")


def test_wind_sentinel_is_stored_as_it_is_and_counted(jena_15cols, tmp_path):
    def edit(lines):
        header = lines[0].split(",")
        wv = header.index("wv (m/s)")
        for row in (3, 5):  # data rows 3 and 5 (train), as in the real file's -9999.0
            fields = lines[row].split(",")
            fields[wv] = "-9999.0"
            lines[row] = ",".join(fields)
        return lines

    clean = jena_csv.read_jena_csv(plain_csv(jena_15cols, tmp_path), JenaIngestConfig())
    data = jena_csv.read_jena_csv(plain_csv(jena_15cols, tmp_path, edit), JenaIngestConfig())
    assert data.names[-3:] == ["wv_m_s", "max_wv_m_s", "wd_deg"] and len(data.names) == 14
    wv = data.names.index("wv_m_s")
    train = data.splits["train"].values[:, wv]
    original = clean.splits["train"].values[:, wv]
    # ExampleGen changes no value: the model's graph treats the sentinel as missing.
    np.testing.assert_array_equal(train[[2, 4]], [-9999.0, -9999.0])
    others = np.delete(np.arange(len(train)), [2, 4])
    np.testing.assert_array_equal(train[others], original[others])
    assert issues(data, "train") == {
        (example_gen.KEPT, "sentinel -9999.0 in 'wv (m/s)' (the graph fills it)"): 2}


def test_missing_unparseable_duplicates_gaps_and_disorder_are_reported(jena_15cols, tmp_path):
    def edit(lines):
        header, rows = lines[0], lines[1:]
        rows[1] = rows[1].replace(",93.4,", ",,")  # rh missing (train)
        rows[2] = rows[2].replace(",93.9,", ",abc,")  # rh unparseable (train)
        rows[3] = "not a date" + rows[3][len("01.01.2009 00:40:00"):]  # skipped (train)
        rows[4] = rows[4].rsplit(",", 1)[0]  # too few fields (train)
        rows[6], rows[7] = rows[7], rows[6]  # out of order (train)
        rows.insert(11, rows[10])  # duplicated timestamp, identical (eval)
        del rows[16:18]  # a 30-minute gap: two missing 10-minute steps (test)
        return [header] + rows

    data = jena_csv.read_jena_csv(plain_csv(jena_15cols, tmp_path, edit), JenaIngestConfig())
    # 19 rows - 2 unparseable - 2 removed = 15 distinct timestamps -> 7 / 3 / 5.
    assert [len(data.splits[s].timestamps) for s in jena_csv.SPLITS] == [7, 3, 5]
    for split in jena_csv.SPLITS:
        assert (np.diff(data.splits[split].timestamps) > 0).all()
    assert issues(data, "train") == {
        (example_gen.KEPT, "missing value in 'rh (%)' (the graph fills it)"): 1,
        (example_gen.KEPT, "unparseable value in 'rh (%)' (the graph fills it)"): 1,
        (example_gen.SKIPPED, "unparseable Date Time"): 1,
        (example_gen.SKIPPED, "row with 14 fields instead of 15"): 1,
        (example_gen.REPAIRED, "row out of chronological order (re-sorted)"): 1,
        # the gap left by the two skipped rows
        (example_gen.SKIPPED, "missing 10-minute step in a time gap (windows do not cross it)"):
            2,
    }
    assert issues(data, "eval") == {
        (example_gen.SKIPPED, "duplicated timestamp, identical row (first kept)"): 1}
    assert issues(data, "test") == {
        (example_gen.SKIPPED, "missing 10-minute step in a time gap (windows do not cross it)"):
            2}
    gaps = [(gap["split"], gap["missing_steps"]) for gap in data.summary["gaps"]]
    assert gaps == [("train", 2), ("test", 2)]
    rh = data.names.index("rh_pct")
    assert np.isnan(data.splits["train"].values[[1, 2], rh]).all()  # stored as NaN: no value
    assert np.isnan(data.splits["train"].values).sum() == 2


def test_a_column_without_any_train_value_fails_clearly(jena_15cols, tmp_path):
    def edit(lines):
        header = lines[0].split(",")
        rh = header.index("rh (%)")
        rows = [line.split(",") for line in lines[1:]]
        for fields in rows[:9]:  # the 9 train rows of 19
            fields[rh] = ""
        return [lines[0]] + [",".join(fields) for fields in rows]

    with pytest.raises(ValueError, match="column 'rh .%.' has no valid value in the train"):
        jena_csv.read_jena_csv(plain_csv(jena_15cols, tmp_path, edit), JenaIngestConfig())


@pytest.mark.parametrize("column", ["Date Time", "T (degC)"])
def test_missing_time_or_temperature_column_fails_clearly(jena_15cols, tmp_path, column):
    def edit(lines):
        return [lines[0].replace(column, "Something else")] + lines[1:]

    with pytest.raises(ValueError, match=f"no '{column.replace('(', '.').replace(')', '.')}'"):
        jena_csv.read_jena_csv(plain_csv(jena_15cols, tmp_path, edit), JenaIngestConfig())


def test_columns_adapt_and_a_text_column_is_left_out(jena_15cols, tmp_path):
    def edit(lines):
        header = lines[0].replace(",wd (deg)", ",station")
        return [header] + [line.rsplit(",", 1)[0] + ",jena" for line in lines[1:]]

    data = jena_csv.read_jena_csv(plain_csv(jena_15cols, tmp_path, edit), JenaIngestConfig())
    assert "wd_deg" not in data.names and "station" not in data.names
    assert data.summary["ignored_columns"] == ["station"]
    assert issues(data, "train") == {
        (example_gen.SKIPPED, "non-numeric column 'station' left out"): 1}


def test_feature_name_clash_fails(jena_15cols, tmp_path):
    def edit(lines):
        return [lines[0].replace("Tpot (K)", "T degC")] + lines[1:]

    with pytest.raises(ValueError, match="both map to the feature name 't_degc'"):
        jena_csv.read_jena_csv(plain_csv(jena_15cols, tmp_path, edit), JenaIngestConfig())


def test_parse_time_reads_day_first_and_rejects_other_formats():
    assert jena_csv.parse_time("02.01.2009 00:00:00") - jena_csv.parse_time(
        "01.01.2009 00:00:00") == 86_400
    assert jena_csv.format_time(jena_csv.parse_time("28.01.2009 18:40:00")) == (
        "28.01.2009 18:40:00")
    for bad in ("2009-01-01 00:10:00", "32.01.2009 00:00:00", "01.13.2009 00:00:00"):
        with pytest.raises(ValueError):
            jena_csv.parse_time(bad)
