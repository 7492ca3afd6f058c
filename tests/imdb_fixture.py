"""Writes small aclImdb-layout trees for tests: learnable reviews, real file naming."""

from __future__ import annotations

import pathlib
import random

POSITIVE = ["great", "wonderful", "superb", "moving", "brilliant", "loved", "masterpiece"]
NEGATIVE = ["awful", "boring", "terrible", "waste", "dull", "hated", "mess"]
NEUTRAL = ["the", "film", "movie", "plot", "actor", "scene", "story", "and", "a", "was", "it"]


def review(rng: random.Random, positive: bool, words: int = 30) -> str:
    """A review whose sentiment words carry the label; <br /> tags as in the real data."""
    cues = POSITIVE if positive else NEGATIVE
    body = [rng.choice(cues) if rng.random() < 0.3 else rng.choice(NEUTRAL) for _ in range(words)]
    return " ".join(body[: words // 2]) + ".<br /><br />" + " ".join(body[words // 2:]) + "!"


def write_aclimdb(root: pathlib.Path, per_class: int, seed: int = 0) -> pathlib.Path:
    """Creates root/aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt; returns the aclImdb path."""
    rng = random.Random(seed)
    base = root / "aclImdb"
    for split in ("train", "test"):
        for label in ("pos", "neg"):
            folder = base / split / label
            folder.mkdir(parents=True, exist_ok=True)
            for review_id in range(per_class):
                rating = rng.choice([7, 8, 9, 10] if label == "pos" else [1, 2, 3, 4])
                (folder / f"{review_id}_{rating}.txt").write_text(
                    review(rng, label == "pos"), encoding="utf-8")
    return base
