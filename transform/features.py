"""Raw and transformed feature keys shared by Transform, Trainer, Evaluator and serving."""

# IMDB raw features (written by components/imdb_gen.py).
IMDB_TEXT = "text"
IMDB_LABEL = "label"
IMDB_VOCAB_NAME = "imdb_vocab"


def transformed_name(key: str) -> str:
    """Name of a feature after Transform (`text` -> `text_xf`)."""
    return f"{key}_xf"
