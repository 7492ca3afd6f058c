"""The real data in ../shared/data: skipped when absent locally, a failure in CI (CI=true)."""

import os
import pathlib

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = pathlib.Path(
    os.environ.get("TFX_TEXT_SHARED_DATA", REPO_ROOT.parent / "shared" / "data")
)


def shared_file(relative: str) -> pathlib.Path:
    """Returns a file under ../shared/data; skips when absent, but fails in CI (CI=true)."""
    path = SHARED_DATA / relative
    if not path.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"real data file missing in CI: {path}")
        pytest.skip(f"real data not available: {path}")
    return path
