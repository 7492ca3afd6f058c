"""Raw and transformed feature keys shared by Transform, Trainer, Evaluator and serving."""

import re

# IMDB raw features (written by components/imdb_gen.py).
IMDB_TEXT = "text"
IMDB_LABEL = "label"
IMDB_VOCAB_NAME = "imdb_vocab"


def transformed_name(key: str) -> str:
    """Name of a feature after Transform (`text` -> `text_xf`)."""
    return f"{key}_xf"


# IMDB transformed features, by TextConfig.representation.
IMDB_SEQUENCE = transformed_name(IMDB_TEXT)  # "sequence": token ids
IMDB_BAG_IDS = f"{IMDB_SEQUENCE}_ids"  # bags: n-gram ids, sparse
IMDB_BAG_WEIGHTS = f"{IMDB_SEQUENCE}_weights"  # bags: TF-IDF or 1.0, sparse


# Jena climate (written by components/jena_gen.py). Every numeric CSV column becomes a float
# feature named by `safe_name` ("T (degC)" -> "t_degc"); `timestamp` is int64 seconds (UTC-naive).
JENA_TIME_COLUMN = "Date Time"
JENA_TEMPERATURE_COLUMN = "T (degC)"
JENA_TIMESTAMP = "timestamp"
# The 14 measurements of jena_climate_2009_2016.csv in file order; their order is also the
# window's feature order, so a model's column order does not depend on which file it saw.
JENA_COLUMNS = (
    "p (mbar)", "T (degC)", "Tpot (K)", "Tdew (degC)", "rh (%)", "VPmax (mbar)",
    "VPact (mbar)", "VPdef (mbar)", "sh (g/kg)", "H2OC (mmol/mol)", "rho (g/m**3)",
    "wv (m/s)", "max. wv (m/s)", "wd (deg)",
)
# The station's "no measurement" marker (the wind columns of the real file). ExampleGen stores it
# as it is; the Transform graph treats it, like NaN, as a missing value (transform/jena.py).
JENA_SENTINEL = -9999.0
# Window examples for the Evaluator (components/jena_windows.py): label and target time.
JENA_WINDOW_TARGET = "target"
JENA_WINDOW_TARGET_TIME = "target_timestamp"
# The served model's raw window input: float32 [batch, steps, columns] (trainer/jena.py).
JENA_WINDOW_INPUT = "window"


def safe_name(column: str) -> str:
    """Feature name for a CSV column: lowercase, `%` -> pct, other symbol runs -> `_`.

    `T (degC)` -> `t_degc`, `rh (%)` -> `rh_pct`, `rho (g/m**3)` -> `rho_g_m_3`.
    """
    name = re.sub(r"[^0-9a-z]+", "_", column.lower().replace("%", "pct")).strip("_")
    if not name:
        raise ValueError(f"column {column!r} has no letters or digits to name a feature")
    return name if name[0].isalpha() else f"f_{name}"


JENA_TEMPERATURE = safe_name(JENA_TEMPERATURE_COLUMN)  # "t_degc", also the raw label in °C


def jena_column_order(names) -> tuple[str, ...]:
    """Orders Jena feature names: the dataset's own column order, then unknown ones sorted."""
    known = [safe_name(column) for column in JENA_COLUMNS]
    present = set(names) - {JENA_TIMESTAMP}
    return tuple([n for n in known if n in present] + sorted(present - set(known)))


def jena_original_names() -> dict[str, str]:
    """Safe feature name -> original CSV column, for the known Jena columns."""
    return {safe_name(column): column for column in JENA_COLUMNS}
