"""Blessing rules: TFMA thresholds against the baseline, and merging the two blessings."""

from __future__ import annotations

import pytest
import tensorflow_model_analysis as tfma
from tensorflow_model_analysis.evaluators import metrics_validator
from tensorflow_model_analysis.metrics import metric_specs
from tfx.types import standard_artifacts

from components import blessing
from core.config import EvalConfig
from pipeline import eval_configs


def validate(eval_config: tfma.EvalConfig, candidate_mae: float, baseline_mae: float) -> bool:
    """Runs TFMA's own validator on an overall slice with these MAEs (°C)."""
    config = tfma.utils.update_eval_config_with_defaults(
        eval_config, has_baseline=True, rubber_stamp=True)
    keys = metric_specs.metric_thresholds_from_metrics_specs(
        config.metrics_specs, eval_config=config)
    values = {}
    for key in keys:
        plain = key._replace(is_diff=False)
        for model, mae in (("candidate", candidate_mae), ("baseline", baseline_mae)):
            values[plain._replace(model_name=model)] = (
                mae if key.name == "mean_absolute_error" else 100.0)
        values[key._replace(model_name="candidate", is_diff=True)] = (
            candidate_mae - baseline_mae if key.name == "mean_absolute_error" else 0.0)
    return metrics_validator.validate_metrics(((), values), config).validation_ok


@pytest.mark.parametrize("candidate, margin, blessed", [
    (2.0, 0.0, True), (2.5, 0.0, False), (2.6, 0.0, False), (2.5 - 1e-9, 0.0, True),
    (2.3, 0.1, False), (2.25, 0.1, True), (2.2, 0.1, True),
])
def test_candidate_must_beat_the_common_sense_baseline_by_the_margin(candidate, margin, blessed):
    config = eval_configs.jena_baseline_eval_config(EvalConfig(baseline_margin=margin))
    assert validate(config, candidate, 2.5) is blessed


@pytest.mark.parametrize("candidate, blessed", [(2.0, True), (2.505, True), (2.51, False)])
def test_candidate_may_not_regress_against_the_latest_blessed_model(candidate, blessed):
    config = eval_configs.jena_eval_config(EvalConfig(max_regression=0.005))
    assert validate(config, candidate, 2.5) is blessed


def test_first_run_still_validates_so_a_blessing_is_written():
    """Without a baseline TFX drops change thresholds; ExampleCount >= 1 remains."""
    config = tfma.utils.update_eval_config_with_defaults(
        eval_configs.jena_eval_config(EvalConfig()), has_baseline=False, rubber_stamp=True)
    assert metric_specs.metric_thresholds_from_metrics_specs(
        config.metrics_specs, eval_config=config)


def _blessing(model_id: int, blessed: int | None) -> standard_artifacts.ModelBlessing:
    artifact = standard_artifacts.ModelBlessing()
    artifact.set_int_custom_property("current_model_id", model_id)
    if blessed is not None:
        artifact.set_int_custom_property("blessed", blessed)
    return artifact


def test_verdict_requires_a_blessing_for_this_very_model():
    model = standard_artifacts.Model()
    model.id = 7
    assert blessing.verdict(_blessing(7, 1), model) == (True, "blessed")
    assert blessing.verdict(_blessing(7, 0), model)[0] is False
    assert blessing.verdict(_blessing(6, 1), model) == (
        False, "it judged model 6, not model 7")
    assert blessing.verdict(_blessing(7, None), model)[0] is False


def test_merge_component_ands_the_blessings_and_writes_what_pusher_reads(tmp_path):
    model = standard_artifacts.Model()
    model.id, model.uri = 7, "/models/7"
    for regression, baseline, expected in ((1, 1, 1), (1, 0, 0), (0, 1, 0)):
        out = standard_artifacts.ModelBlessing()
        out.uri = str(tmp_path / f"{regression}{baseline}")
        (tmp_path / f"{regression}{baseline}").mkdir()
        blessing.MergeBlessings.test_call(
            model=model, evaluator_blessing=_blessing(7, regression),
            baseline_blessing=_blessing(7, baseline), blessing=out,
                code_version="test")
        assert out.get_int_custom_property("blessed") == expected
        assert out.get_int_custom_property("current_model_id") == 7
        assert out.get_string_custom_property("current_model") == "/models/7"
        marker = "BLESSED" if expected else "NOT_BLESSED"
        assert (tmp_path / f"{regression}{baseline}" / marker).exists()
