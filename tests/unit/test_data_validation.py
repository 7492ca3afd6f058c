"""Data validation on real files changed to be broken: each stops at the gate with its anomaly.

The statistics are computed as the pipeline's statistics step computes them, from examples the
ExampleGens' own parsing made (tests/validation_fixture.py), and judged by the gate's own checks
under the curated schemas; the untouched real data passes.
"""

from __future__ import annotations

import jena_fixture
import pytest
import tensorflow as tf
import tensorflow_data_validation as tfdv
import validation_fixture as vf
from shared_data import shared_file
from tfx_bsl.coders import example_coder

from components import statistics
from core import tasks

JENA_TEST_ROWS = range(3000, 4000)  # data rows of the fragment's test split (50/25/25%)


def _jena_problems(tmp_path, damage=None, edit=None) -> list[str]:
    path = jena_fixture.damaged_csv(tmp_path, damage or {})
    if edit is not None:
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join(edit(lines)), encoding="utf-8")
    return vf.problems("jena", vf.jena_split_stats(path))


def _has(problems: list[str], prefix: str, check: str) -> bool:
    return any(line.startswith(prefix) and check in line for line in problems)


def test_the_real_jena_fragment_passes(jena_fragment, tmp_path):
    assert _jena_problems(tmp_path) == []


def test_station_damage_the_graph_repairs_passes(jena_fragment, tmp_path):
    # -9999 sentinels in pressure (out of any range if counted) and empty fields.
    damage = {(500, "p (mbar)"): "-9999.0", (3100, "p (mbar)"): "-9999.0",
              (700, "T (degC)"): "", (3450, "VPdef (mbar)"): ""}
    assert _jena_problems(tmp_path, damage) == []


def test_a_broken_sensor_in_the_test_rows_stops_at_the_gate(jena_fragment, tmp_path):
    damage = {(row, "T (degC)"): "500.0" for row in JENA_TEST_ROWS}
    damage |= {(row, "p (mbar)"): "0.0" for row in JENA_TEST_ROWS}
    problems = _jena_problems(tmp_path, damage)
    assert _has(problems, "test: feature 't_degc'", "FLOAT_TYPE_BIG_FLOAT")
    assert _has(problems, "test: feature 'p_mbar'", "FLOAT_TYPE_SMALL_FLOAT")
    assert not any(line.startswith(("train:", "eval:")) for line in problems)


def test_a_broken_sensor_in_the_train_rows_stops_at_the_gate(jena_fragment, tmp_path):
    problems = _jena_problems(tmp_path, {(row, "T (degC)"): "500.0" for row in range(10, 20)})
    assert _has(problems, "train: feature 't_degc'", "FLOAT_TYPE_BIG_FLOAT")


def test_a_recalibrated_temperature_sensor_drifts_from_train(jena_fragment, tmp_path):
    (tmp_path / "raw").mkdir()
    raw = jena_fixture.plain_csv(jena_fixture.FRAGMENT, tmp_path / "raw")
    lines = raw.read_text(encoding="utf-8").splitlines()
    column = lines[0].split(",").index("T (degC)")
    damage = {(row, "T (degC)"): f"{float(lines[row + 1].split(',')[column]) + 5:.2f}"
              for row in JENA_TEST_ROWS}  # +5 degC: every value still in [-40, 50]
    problems = _jena_problems(tmp_path, damage)
    assert problems and all(line.startswith("test vs train: feature 't_degc'")
                            for line in problems)
    assert "COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH" in problems[0]


def _rename(old: str, new: str | None):
    def edit(lines):
        header = lines[0].split(",")
        index = header.index(old)
        if new is not None:
            return [lines[0].replace(old, new)] + lines[1:]
        return [",".join(f for j, f in enumerate(line.split(",")) if j != index)
                for line in lines]
    return edit


def test_a_renamed_jena_column_is_new_and_the_old_one_missing(jena_fragment, tmp_path):
    problems = _jena_problems(tmp_path, edit=_rename("rh (%)", "rh (percent)"))
    assert _has(problems, "train: feature 'rh_percent'", "SCHEMA_NEW_COLUMN")
    assert _has(problems, "train: feature 'rh_pct'", "SCHEMA_MISSING_COLUMN")


def test_a_dropped_jena_column_is_missing(jena_fragment, tmp_path):
    problems = _jena_problems(tmp_path, edit=_rename("VPdef (mbar)", None))
    assert {line.split(": ")[0] for line in problems} == {"train", "eval", "test"}
    assert all("feature 'vpdef_mbar'" in line and "SCHEMA_MISSING_COLUMN" in line
               for line in problems)


@pytest.fixture(scope="module")
def real_reviews():
    """120 real review files of each aclImdb folder, by archive path."""
    return vf.read_tarball_reviews(shared_file("imdb/aclImdb_v1_labeled.tar.gz"), per_folder=120)


def _imdb_problems(reviews: dict[str, bytes]) -> list[str]:
    return vf.problems("imdb", vf.imdb_split_stats(reviews))


def test_real_reviews_pass(real_reviews):
    assert _imdb_problems(real_reviews) == []


def _moved(reviews, old: str, new: str) -> dict[str, bytes]:
    moved = dict(reviews)
    moved[new] = moved.pop(old)
    return moved


def test_a_rating_that_contradicts_its_folder_stops_at_the_gate(real_reviews):
    positive = sorted(p for p in real_reviews if "/test/pos/" in p)[0]
    number = positive.rsplit("/", 1)[1].split("_")[0]
    problems = _imdb_problems(_moved(real_reviews, positive,
                                     f"aclImdb/test/pos/{number}_2.txt"))
    assert _has(problems, "test: feature 'rating'", "CUSTOM_VALIDATION")
    assert "label_1" in problems[0] and len(problems) == 1


def test_a_review_without_a_label_stops_at_the_gate(real_reviews):
    review = sorted(p for p in real_reviews if "/test/neg/" in p)[0]
    problems = _imdb_problems(_moved(real_reviews, review,
                                     review.replace("/neg/", "/unlabeled/")))
    assert _has(problems, "test: feature 'label'", "FEATURE_TYPE_LOW_FRACTION_PRESENT")


def test_a_train_split_of_one_class_drifts_from_test(real_reviews):
    positive_train = {path: text for path, text in real_reviews.items()
                      if "/train/neg/" not in path}
    problems = _imdb_problems(positive_train)
    assert _has(problems, "test vs train: feature 'label'",
                "COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH")


def test_a_duplicated_review_id_stops_at_the_gate(real_reviews):
    review = sorted(p for p in real_reviews if "/test/neg/" in p)[0]
    folder, name = review.rsplit("/", 1)
    number, rating = name.removesuffix(".txt").split("_")
    other = f"{folder}/{number}_{4 if rating != '4' else 3}.txt"  # same id, another rating
    problems = _imdb_problems({**real_reviews, other: real_reviews[review]})
    assert _has(problems, "test: feature 'review_id'", "CUSTOM_VALIDATION")



def test_served_reviews_fit_the_serving_environment_only(real_reviews):
    """Served requests carry only `text`: valid for SERVING, missing the label for TRAINING."""
    requests = [tf.train.Example(features=tf.train.Features(feature={"text": tf.train.Feature(
        bytes_list=tf.train.BytesList(value=[text]))})).SerializeToString()
        for text in list(real_reviews.values())[:50]]
    batch = example_coder.ExamplesToRecordBatchDecoder().DecodeBatch(requests)
    served = statistics.measured_statistics({"served": batch}, None)["served"]
    schema = tfdv.load_schema_text(tasks.resource_path(tasks.get_task_spec("imdb").schema))
    assert not tfdv.validate_statistics(served, schema, environment="SERVING").anomaly_info
    training = tfdv.validate_statistics(served, schema, environment="TRAINING").anomaly_info
    assert {"label", "rating", "review_id"} <= set(training)
