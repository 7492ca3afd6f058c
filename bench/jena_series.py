"""A GENERATED Jena-shaped series, for time and memory measurements only, never for accuracy.

The real `jena_climate_2009_2016.csv` (420,551 rows, 01.01.2009 00:10:00 to 01.01.2017 00:00:00,
15 columns) is not on this machine (shared/data/MANIFEST.md). This writes a file of its exact
shape: its header (quoted, as the original), 10-minute steps, every number as `%.2f`, a seasonal
and a daily temperature cycle with weather-like noise, the other columns derived from it
(pressure, humidity, vapour pressures, density, wind), the -9999 sentinel in the two wind-speed
columns, and gaps. The 8 years hold 420,768 ten-minute steps, so the real file lacks 217 of them:
they are left out here as a few gaps. The number of sentinel values is assumed (`SENTINELS`):
the real file's count could not be checked here.
"""

from __future__ import annotations

import pathlib

import numpy as np

HEADER = ("Date Time", "p (mbar)", "T (degC)", "Tpot (K)", "Tdew (degC)", "rh (%)",
          "VPmax (mbar)", "VPact (mbar)", "VPdef (mbar)", "sh (g/kg)", "H2OC (mmol/mol)",
          "rho (g/m**3)", "wv (m/s)", "max. wv (m/s)", "wd (deg)")
ROWS = 420_551  # the real file
START = np.datetime64("2009-01-01T00:10:00")
STEP = np.timedelta64(10, "m")
# (fraction of the series where a gap starts, missing 10-minute steps): 217 in all.
GAPS = ((0.12, 1), (0.31, 6), (0.62, 36), (0.83, 144), (0.97, 30))
SENTINELS = 28  # rows with -9999.0 in wv and max. wv (assumed)
SENTINEL = -9999.0


def timestamps(rows: int, gaps=GAPS) -> np.ndarray:
    """datetime64[s] of `rows` rows at 10-minute steps with `gaps` left out."""
    missing = sum(steps for _, steps in gaps)
    grid = START + STEP * np.arange(rows + missing)
    drop = np.zeros(len(grid), bool)
    for fraction, steps in gaps:
        first = int(fraction * rows)
        drop[first:first + steps] = True
    return grid[~drop].astype("datetime64[s]")


def values(stamps: np.ndarray, seed: int = 0, sentinels: int = SENTINELS) -> np.ndarray:
    """[rows, 14] float64 observations in HEADER order (without Date Time)."""
    rng = np.random.default_rng(seed)
    seconds = (stamps - np.datetime64("2009-01-01T00:00:00", "s")).astype(np.float64)
    days = seconds / 86_400
    weather = np.cumsum(rng.normal(0, 0.05, len(days)))  # slow random walk, pulled back
    smoothing = min(4320, len(days))  # 30 days
    weather -= np.convolve(weather, np.ones(smoothing) / smoothing, mode="same")
    temp = (9.5 - 10.0 * np.cos(2 * np.pi * (days - 15) / 365.25)
            - 4.0 * np.cos(2 * np.pi * (days % 1 - 0.125)) + 3.0 * weather
            + rng.normal(0, 0.3, len(days)))
    pressure = 989 + 8 * np.sin(2 * np.pi * days / 5.3) + rng.normal(0, 0.5, len(days))
    rh = np.clip(76 + 15 * np.cos(2 * np.pi * (days % 1 - 0.125)) - 2 * weather
                 + rng.normal(0, 4, len(days)), 12, 100)
    vp_max = 6.1078 * np.exp(17.27 * temp / (temp + 237.3))
    vp_act = vp_max * rh / 100
    tdew = 237.3 * np.log(vp_act / 6.1078) / (17.27 - np.log(vp_act / 6.1078))
    kelvin = temp + 273.15
    sh = 622 * vp_act / (pressure - 0.378 * vp_act)
    wind = rng.gamma(2.0, 1.1, len(days))
    table = np.stack([pressure, temp, kelvin * (1000 / pressure) ** 0.286, tdew, rh, vp_max,
                      vp_act, vp_max - vp_act, sh, 1000 * vp_act / pressure,
                      pressure * 100 / (287.05 * kelvin) * 1000,  # density, g/m**3
                      wind, wind * rng.uniform(1.3, 2.2, len(days)),
                      rng.uniform(0, 360, len(days))], axis=1)
    bad = rng.choice(len(days), size=min(sentinels, len(days)), replace=False)
    table[bad, 11] = SENTINEL
    table[bad, 12] = SENTINEL
    return np.round(table, 2)


def write_csv(path: pathlib.Path, rows: int = ROWS, gaps=GAPS, seed: int = 0,
              sentinels: int = SENTINELS) -> dict:
    """Writes the generated CSV; returns its shape (rows, gaps, sentinels, first and last)."""
    stamps = timestamps(rows, gaps)
    table = values(stamps, seed, sentinels)
    iso = np.datetime_as_string(stamps, unit="s")  # 2009-01-01T00:10:00
    dates = [f"{s[8:10]}.{s[5:7]}.{s[0:4]} {s[11:19]}" for s in iso]
    row_format = "%s," + ",".join(["%.2f"] * table.shape[1]) + "\n"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(",".join(f'"{name}"' for name in HEADER) + "\n")
        for date, row in zip(dates, table.tolist(), strict=True):
            handle.write(row_format % (date, *row))
    return {"rows": rows, "columns": len(HEADER), "first": dates[0], "last": dates[-1],
            "missing_steps": sum(steps for _, steps in gaps), "gaps": len(gaps),
            "sentinel_rows": min(sentinels, rows), "bytes": pathlib.Path(path).stat().st_size,
            "generated": "GENERATED series of the real file's shape: for time and memory "
                         "only, never for accuracy"}
