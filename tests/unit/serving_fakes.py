"""Fake model versions that the serving tests load instead of SavedModels."""

from __future__ import annotations

import os

import numpy as np

from serving.signatures import Signature, TensorInfo

TEXT = Signature(inputs={"text": TensorInfo("serving_default_text:0", "DT_STRING", (-1,))},
                 outputs={"probability": TensorInfo("Identity:0", "DT_FLOAT", (-1,))})
PAIR = Signature(inputs={"x": TensorInfo("x:0", "DT_FLOAT", (-1, 2)),
                         "n": TensorInfo("n:0", "DT_INT64", (-1,))},
                 outputs={"y": TensorInfo("y:0", "DT_FLOAT", (-1,)),
                          "tag": TensorInfo("t:0", "DT_STRING", (-1,))})
WINDOW = Signature(inputs={"window": TensorInfo("w:0", "DT_FLOAT", (-1, 3, 2))},
                   outputs={"forecast": TensorInfo("f:0", "DT_FLOAT", (-1,))})


class FakeServable:
    """imdb-like (text -> probability, plus a two-input signature) or jena-like (window)."""

    batch_sizes: list[int] = []  # of every run, in order

    def __init__(self, path: str):
        self.version = int(os.path.basename(path))
        jena = os.path.basename(os.path.dirname(path)) == "jena"
        self.signatures = ({"serving_default": WINDOW} if jena
                           else {"serving_default": TEXT, "pair": PAIR})

    def run(self, name, inputs):
        FakeServable.batch_sizes.append(len(next(iter(inputs.values()))))
        if "window" in inputs:  # NaN and the -9999 sentinel arrive as sent
            window = inputs["window"]
            return {"forecast": np.where(np.isnan(window[:, -1, 0]), -1.0,
                                         window[:, -1, 0] + 0.5).astype(np.float32)}
        if name == "pair":
            count = len(inputs["n"])
            return {"y": (inputs["x"].sum(axis=1) + inputs["n"]).astype(np.float32),
                    "tag": np.array([b"ok"] * count, dtype=object)}
        return {"probability": np.array([len(t) / 100 + self.version / 1000
                                         for t in inputs["text"]], np.float32)}
