"""Merges two Evaluator blessings into the one ModelBlessing the Pusher and the Resolver read.

TFMA compares a candidate with one baseline per Evaluator. A task with a fixed baseline (Jena's
common-sense forecast) runs two Evaluators: one against the latest blessed model (no
regression), one against the fixed baseline (beat it by the margin). This component blesses the
candidate only when both did, for this very model, and writes the custom properties that TFX's
Evaluator writes and that `Pusher` (`blessed`) and `LatestBlessedModelStrategy` (`blessed`,
`current_model_id`) read, plus the BLESSED / NOT_BLESSED marker file. The Canary
(components/canary.py) writes its blessing with the same helpers.
"""


import json
import os

from tfx import v1 as tfx
from tfx.components.evaluator import constants
from tfx.utils import io_utils

from core import names

Model = tfx.types.standard_artifacts.Model
ModelBlessing = tfx.types.standard_artifacts.ModelBlessing
MERGED_PROPERTY = names.MERGED_BLESSINGS_PROPERTY  # JSON {input: {"blessed": bool, "why": str}}


def verdict(blessing, model) -> tuple[bool, str]:
    """Whether one Evaluator's blessing approves `model`, and why not."""
    if not blessing.has_custom_property(constants.ARTIFACT_PROPERTY_BLESSED_KEY):
        return False, "the Evaluator validated nothing (no thresholds)"
    current = blessing.get_int_custom_property(constants.ARTIFACT_PROPERTY_CURRENT_MODEL_ID_KEY)
    if current != model.id:
        return False, f"it judged model {current}, not model {model.id}"
    if blessing.get_int_custom_property(constants.ARTIFACT_PROPERTY_BLESSED_KEY) != 1:
        return False, "its thresholds failed"
    return True, "blessed"


@tfx.dsl.components.component
def MergeBlessings(  # noqa: N802 (TFX component naming)
    model: tfx.dsl.components.InputArtifact[Model],
    evaluator_blessing: tfx.dsl.components.InputArtifact[ModelBlessing],
    baseline_blessing: tfx.dsl.components.InputArtifact[ModelBlessing],
    blessing: tfx.dsl.components.OutputArtifact[ModelBlessing],
    code_version: tfx.dsl.components.Parameter[str],
) -> None:
    """Blesses `model` only when both the regression and the fixed-baseline Evaluator did.

    `code_version` (unused here) is the hash of this module's code: a cache key.
    """
    verdicts = {name: verdict(artifact, model) for name, artifact in
                (("evaluator_blessing", evaluator_blessing),
                 ("baseline_blessing", baseline_blessing))}
    blessed = all(ok for ok, _ in verdicts.values())
    copy_model_properties(evaluator_blessing, blessing, model)
    blessing.set_string_custom_property(MERGED_PROPERTY, json.dumps(
        {name: {"blessed": ok, "why": why} for name, (ok, why) in verdicts.items()}))
    set_blessed(blessing, blessed)


def copy_model_properties(source, blessing, model) -> None:
    """Names `model` as the judged one and, like the Evaluator, the baseline `source` named."""
    blessing.set_string_custom_property(constants.ARTIFACT_PROPERTY_CURRENT_MODEL_URI_KEY,
                                        model.uri)
    blessing.set_int_custom_property(constants.ARTIFACT_PROPERTY_CURRENT_MODEL_ID_KEY, model.id)
    for key in (constants.ARTIFACT_PROPERTY_BASELINE_MODEL_URI_KEY,
                constants.ARTIFACT_PROPERTY_BASELINE_MODEL_ID_KEY):
        if source.has_custom_property(key):
            value = source.get_custom_property(key)
            if isinstance(value, int):
                blessing.set_int_custom_property(key, value)
            else:
                blessing.set_string_custom_property(key, str(value))


def set_blessed(blessing, blessed: bool) -> None:
    """The `blessed` property the Pusher and the resolver read, and the marker file."""
    blessing.set_int_custom_property(
        constants.ARTIFACT_PROPERTY_BLESSED_KEY,
        constants.BLESSED_VALUE if blessed else constants.NOT_BLESSED_VALUE)
    marker = constants.BLESSED_FILE_NAME if blessed else constants.NOT_BLESSED_FILE_NAME
    io_utils.write_string_file(os.path.join(blessing.uri, marker), "")
