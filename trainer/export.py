"""Serving export: a SavedModel with the Transform graph inside and two signatures.

- `serving_default`: the raw request (review text, or a raw observation window) -> prediction.
  Clients send raw data; no preprocessing happens outside the model.
- `serving_tf_example`: serialized raw tf.Examples -> prediction. The Evaluator (TFMA) uses this
  one, on the raw `test` split (Jena: on one example per window, see trainer/jena.py).

A task with `metadata` (Jena: column order, window, statistics) gets it stored twice: as the
`model_metadata()` function of the SavedModel (returns the JSON string) and as
`assets.extra/model_metadata.json`, next to the model for clients and TF Serving.
"""

from __future__ import annotations

import json
import os

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras

from core import names
from trainer.models.spec import ModelSpec
from trainer.task import TrainerTask

DEFAULT_SIGNATURE = names.DEFAULT_SIGNATURE
EXAMPLE_SIGNATURE = names.EXAMPLE_SIGNATURE
METADATA_FILE = names.MODEL_METADATA_FILE


def export_serving_model(
    model: keras.Model,
    model_spec: ModelSpec,
    task: TrainerTask,
    tf_transform_output: tft.TFTransformOutput,
    export_dir: str,
) -> None:
    """Saves `model` with `tf.saved_model.save` and the two signatures above."""
    model.tft_layer = tf_transform_output.transform_features_layer()  # tracks vocab assets

    def predict(raw_features):
        transformed = model.tft_layer(raw_features)
        if task.to_model_inputs is not None:
            inputs = task.to_model_inputs(transformed)
        else:
            inputs = {name: transformed[name] for name in model.input_names}
        output = model(inputs)
        if model_spec.output == "logit":
            output = tf.sigmoid(output)
        return {task.output_key: task.postprocess(output, tf_transform_output)}

    @tf.function(input_signature=[task.serving_spec])
    def serve_raw(raw):
        return predict(task.to_raw_features(raw, tf_transform_output))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=names.EXAMPLES_INPUT)])
    def serve_tf_examples(serialized):
        if task.parse_examples is not None:
            return serve_raw(task.parse_examples(serialized))
        raw_spec = tf_transform_output.raw_feature_spec()
        feature_spec = {name: raw_spec[name] for name in task.raw_features}
        return predict(tf.io.parse_example(serialized, feature_spec))

    metadata = None if task.metadata is None else json.dumps(task.metadata, sort_keys=True)
    if metadata is not None:
        model.model_metadata = tf.function(lambda: tf.constant(metadata), input_signature=[])
    tf.saved_model.save(model, export_dir, signatures={
        DEFAULT_SIGNATURE: serve_raw.get_concrete_function(),
        EXAMPLE_SIGNATURE: serve_tf_examples.get_concrete_function(),
    })
    if metadata is not None:
        path = os.path.join(export_dir, METADATA_FILE)
        tf.io.gfile.makedirs(os.path.dirname(path))
        with tf.io.gfile.GFile(path, "w") as handle:
            handle.write(metadata)
