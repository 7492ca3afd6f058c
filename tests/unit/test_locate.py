"""Tests for rawdata.locate: IMDB and Jena inputs of every accepted kind, and their errors.

Archives are built in tmp_path and downloads served by a local http.server on 127.0.0.1. The two
integration tests use the real files in ../shared/data.
"""

from __future__ import annotations

import gzip
import logging
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from rawdata_fixture import Server, listing, running_server, serve, sha256_hex

from rawdata import archives, download, locate
from rawdata.errors import (
    CorruptArchiveError,
    DatasetLayoutError,
    DatasetPathError,
    UnsafeArchiveError,
)

SPLITS = ("train/pos", "train/neg", "test/pos", "test/neg")
JENA_CSV = (
    b'"Date Time","p (mbar)","T (degC)"\n'
    b"01.01.2009 00:10:00,996.52,-8.02\n"
    b"01.01.2009 00:20:00,996.57,-8.41\n"
)



@pytest.fixture
def http_server() -> Iterator[Server]:
    with running_server() as server:
        yield server


# --------------------------------------------------------------------------------------------
# resolve_imdb
# --------------------------------------------------------------------------------------------


def _make_imdb_tree(base: Path) -> Path:
    root = base / "aclImdb"
    for index, split in enumerate(SPLITS):
        folder = root / split
        folder.mkdir(parents=True)
        (folder / f"{index}_7.txt").write_text(f"review {split}", encoding="utf-8")
    (root / "README").write_text("readme", encoding="utf-8")
    return root


def _make_imdb_tarball(path: Path, tree_base: Path) -> Path:
    root = _make_imdb_tree(tree_base)
    with tarfile.open(path, "w:gz") as archive:
        archive.add(root, arcname="aclImdb")
    return path


def test_resolve_imdb_accepts_the_acl_folder(tmp_path):
    root = _make_imdb_tree(tmp_path / "data")

    assert locate.resolve_imdb(root, tmp_path / "cache") == root


def test_resolve_imdb_accepts_the_parent_folder(tmp_path):
    root = _make_imdb_tree(tmp_path / "data")

    assert locate.resolve_imdb(tmp_path / "data", tmp_path / "cache") == root


def test_resolve_imdb_extracts_a_tarball_once(tmp_path, monkeypatch):
    tarball = _make_imdb_tarball(tmp_path / "aclImdb_v1.tar.gz", tmp_path / "src")
    cache = tmp_path / "cache"
    calls = []
    real_extract = archives.safe_extract_tar

    def counting_extract(tar_path: Path, dest_dir: Path) -> Path:
        calls.append(tar_path)
        return real_extract(tar_path, dest_dir)

    monkeypatch.setattr(archives, "safe_extract_tar", counting_extract)

    first = locate.resolve_imdb(tarball, cache)
    second = locate.resolve_imdb(tarball, cache)

    key = download.sha256_file(tarball)[:12]
    assert first == second == cache / f"aclImdb-{key}" / "aclImdb"
    assert calls == [tarball]
    assert (first / "train/pos/0_7.txt").read_text(encoding="utf-8") == "review train/pos"
    assert [path.name for path in cache.iterdir()] == [f"aclImdb-{key}"]


@pytest.mark.parametrize("name", ["aclImdb_v1.tar.gz", "aclImdb_v1_labeled.tar.gz", "mine.tar.gz"])
def test_resolve_imdb_finds_the_tarball_in_a_folder(tmp_path, name):
    folder = tmp_path / "downloads"
    folder.mkdir()
    _make_imdb_tarball(folder / name, tmp_path / "src")

    root = locate.resolve_imdb(folder, tmp_path / "cache")

    assert root.name == "aclImdb" and root.parent.parent == tmp_path / "cache"
    locate.validate_imdb_layout(root)


def test_resolve_imdb_prefers_the_canonical_tarball_name(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    _make_imdb_tarball(folder / "aclImdb_v1_labeled.tar.gz", tmp_path / "src")
    (folder / "other.tar.gz").write_bytes(b"not used")

    locate.resolve_imdb(folder, tmp_path / "cache")


def test_resolve_imdb_refuses_several_unnamed_tarballs(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "a.tar.gz").write_bytes(b"a")
    (folder / "b.tar.gz").write_bytes(b"b")

    with pytest.raises(DatasetPathError, match="a.tar.gz, b.tar.gz"):
        locate.resolve_imdb(folder, tmp_path / "cache")


def test_resolve_imdb_redoes_an_extraction_without_marker(tmp_path):
    tarball = _make_imdb_tarball(tmp_path / "aclImdb_v1.tar.gz", tmp_path / "src")
    cache = tmp_path / "cache"
    half = cache / f"aclImdb-{download.sha256_file(tarball)[:12]}" / "aclImdb" / "train" / "pos"
    half.mkdir(parents=True)
    (half / "0_7.txt").write_text("partial", encoding="utf-8")

    root = locate.resolve_imdb(tarball, cache)

    locate.validate_imdb_layout(root)
    assert (root / "train/pos/0_7.txt").read_text(encoding="utf-8") == "review train/pos"
    assert (root.parent / locate._COMPLETE_MARKER).is_file()


def _remove_folder(folder: Path) -> None:
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()


def _empty_folder(folder: Path) -> None:
    for path in folder.iterdir():
        path.unlink()


@pytest.mark.parametrize(
    ("split", "damage", "message"),
    [
        ("test/neg", _remove_folder, "test/neg/ is missing"),
        ("train/pos", _empty_folder, "train/pos/ holds no .txt files"),
    ],
    ids=["missing", "empty"],
)
def test_resolve_imdb_names_the_missing_or_empty_folder(tmp_path, split, damage, message):
    root = _make_imdb_tree(tmp_path / "data")
    damage(root / split)

    with pytest.raises(DatasetLayoutError, match=message) as excinfo:
        locate.resolve_imdb(root, tmp_path / "cache")

    assert "{train,test}/{pos,neg}" in str(excinfo.value)


def test_resolve_imdb_bad_tarball_leaves_no_cache(tmp_path):
    root = _make_imdb_tree(tmp_path / "src")
    (root / "test/neg/3_7.txt").unlink()
    tarball = tmp_path / "aclImdb_v1.tar.gz"
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(root, arcname="aclImdb")

    with pytest.raises(DatasetLayoutError, match="test/neg/ holds no .txt files"):
        locate.resolve_imdb(tarball, tmp_path / "cache")

    assert listing(tmp_path / "cache") == []


def test_resolve_imdb_reports_a_missing_path(tmp_path):
    missing = tmp_path / "nowhere"

    with pytest.raises(DatasetPathError, match="nowhere does not exist"):
        locate.resolve_imdb(missing, tmp_path / "cache")


def test_resolve_imdb_downloads_when_no_path_is_given(http_server, tmp_path, monkeypatch):
    tarball = _make_imdb_tarball(tmp_path / "served.tar.gz", tmp_path / "src")
    source = serve(http_server, "/aclImdb_v1.tar.gz", tarball.read_bytes())
    monkeypatch.setattr(locate, "IMDB", source)

    root = locate.resolve_imdb(None, tmp_path / "cache")

    assert (tmp_path / "cache/aclImdb_v1.tar.gz").is_file()
    locate.validate_imdb_layout(root)


# --------------------------------------------------------------------------------------------
# resolve_jena
# --------------------------------------------------------------------------------------------


def _jena_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_resolve_jena_uses_a_plain_csv_in_place(tmp_path):
    csv_path = tmp_path / "jena_climate_2009_2016.csv"
    csv_path.write_bytes(JENA_CSV)

    assert locate.resolve_jena(csv_path, tmp_path / "cache") == csv_path


def test_resolve_jena_decompresses_a_gzip_once(tmp_path, monkeypatch):
    gz_path = tmp_path / "jena_climate_2009_2016.csv.gz"
    gz_path.write_bytes(gzip.compress(JENA_CSV))
    cache = tmp_path / "cache"

    first = locate.resolve_jena(gz_path, cache)

    key = download.sha256_file(gz_path)[:12]
    assert first == cache / f"jena-{key}" / "jena_climate_2009_2016.csv"
    assert first.read_bytes() == JENA_CSV
    monkeypatch.setattr(download, "copy_atomic", pytest.fail)
    assert locate.resolve_jena(gz_path, cache) == first
    assert listing(cache) == [f"jena-{key}", f"jena-{key}/jena_climate_2009_2016.csv"]


def test_resolve_jena_extracts_the_csv_from_a_zip(tmp_path):
    zip_path = _jena_zip(
        tmp_path / "jena_climate_2009_2016.csv.zip",
        {
            "__MACOSX/._jena_climate_2009_2016.csv": b"junk",
            "notes.txt": b"hello",
            "jena_climate_2009_2016.csv": JENA_CSV,
        },
    )

    csv_path = locate.resolve_jena(zip_path, tmp_path / "cache")

    assert csv_path.name == "jena_climate_2009_2016.csv"
    assert csv_path.read_bytes() == JENA_CSV


def test_resolve_jena_prefers_the_canonical_name_in_a_folder(tmp_path):
    (tmp_path / "other.csv").write_bytes(b"Date Time,x\n")
    (tmp_path / "jena_climate_2009_2016.csv.gz").write_bytes(gzip.compress(JENA_CSV))

    csv_path = locate.resolve_jena(tmp_path, tmp_path / "cache")

    assert csv_path.read_bytes() == JENA_CSV


def test_resolve_jena_uses_the_single_candidate_in_a_folder(tmp_path):
    (tmp_path / "weather.csv").write_bytes(JENA_CSV)

    assert locate.resolve_jena(tmp_path, tmp_path / "cache") == tmp_path / "weather.csv"


def test_resolve_jena_refuses_several_unnamed_candidates(tmp_path):
    (tmp_path / "a.csv").write_bytes(JENA_CSV)
    (tmp_path / "b.csv.gz").write_bytes(gzip.compress(JENA_CSV))

    with pytest.raises(DatasetPathError, match=r"a\.csv, b\.csv\.gz") as excinfo:
        locate.resolve_jena(tmp_path, tmp_path / "cache")

    assert "pass the path" in str(excinfo.value)


@pytest.mark.parametrize("name", ["../evil.csv", "/abs/evil.csv"])
def test_resolve_jena_refuses_escaping_zip_members(tmp_path, name):
    zip_path = _jena_zip(tmp_path / "data.zip", {name: JENA_CSV})

    with pytest.raises(UnsafeArchiveError, match="evil.csv"):
        locate.resolve_jena(zip_path, tmp_path / "cache")

    assert not (tmp_path / "cache").exists() or listing(tmp_path / "cache") == []


def test_resolve_jena_refuses_symlinks_in_a_zip(tmp_path):
    zip_path = tmp_path / "data.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        link = zipfile.ZipInfo("jena_climate_2009_2016.csv")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")

    with pytest.raises(UnsafeArchiveError, match="symlink"):
        locate.resolve_jena(zip_path, tmp_path / "cache")


def test_resolve_jena_refuses_a_zip_with_several_csvs(tmp_path):
    zip_path = _jena_zip(tmp_path / "data.zip", {"a.csv": JENA_CSV, "b.csv": JENA_CSV})

    with pytest.raises(DatasetLayoutError, match="exactly one"):
        locate.resolve_jena(zip_path, tmp_path / "cache")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("jena.csv.gz", gzip.compress(JENA_CSV * 200)[:-40]),
        ("jena.csv.gz", b"plain text, not gzip"),
        ("jena.zip", b"PK\x03\x04 not really a zip"),
    ],
    ids=["truncated-gz", "not-gzip", "bad-zip"],
)
def test_resolve_jena_reports_corrupt_files(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)

    with pytest.raises(CorruptArchiveError, match=name):
        locate.resolve_jena(path, tmp_path / "cache")

    assert not (tmp_path / "cache").exists() or listing(tmp_path / "cache") == []


def test_resolve_jena_checks_the_header(tmp_path):
    csv_path = tmp_path / "prices.csv"
    csv_path.write_text("date,close\n2020-01-01,1.0\n", encoding="utf-8")

    with pytest.raises(DatasetLayoutError, match="Date Time"):
        locate.resolve_jena(csv_path, tmp_path / "cache")


def test_resolve_jena_reports_a_missing_path(tmp_path):
    with pytest.raises(DatasetPathError, match="does not exist"):
        locate.resolve_jena(tmp_path / "nowhere.csv", tmp_path / "cache")


def test_resolve_jena_downloads_when_no_path_is_given(http_server, tmp_path, monkeypatch, caplog):
    body = _jena_zip(tmp_path / "served.zip", {"jena_climate_2009_2016.csv": JENA_CSV}).read_bytes()
    source = serve(http_server, "/jena_climate_2009_2016.csv.zip", body, sha256=None)
    monkeypatch.setattr(locate, "JENA", source)

    with caplog.at_level(logging.WARNING, logger=download.__name__):
        csv_path = locate.resolve_jena(None, tmp_path / "cache")

    assert csv_path.read_bytes() == JENA_CSV
    assert "cannot be verified" in caplog.text and sha256_hex(body) in caplog.text


def test_canonical_sources_are_pinned():
    assert locate.IMDB.url == "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
    assert locate.IMDB.sha256 == (
        "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
    )
    assert locate.JENA.url.endswith("/tf-keras-datasets/jena_climate_2009_2016.csv.zip")


# --------------------------------------------------------------------------------------------
# Real data (../shared/data)
# --------------------------------------------------------------------------------------------


@pytest.mark.integration
def test_resolve_imdb_on_the_real_tarball(imdb_tarball, tmp_path):
    cache = tmp_path / "cache"

    try:
        root = locate.resolve_imdb(imdb_tarball, cache)

        for split in SPLITS:
            assert sum(1 for _ in (root / split).glob("*.txt")) == 12_500, split
        # The folder holding the tarball resolves to the same, already extracted, tree.
        assert locate.resolve_imdb(imdb_tarball.parent, cache) == root
    finally:
        # pytest keeps the last runs' tmp_path folders; don't leave 50,000 files in each.
        shutil.rmtree(cache, ignore_errors=True)


@pytest.mark.integration
def test_resolve_jena_on_the_real_fragment(jena_fragment, tmp_path):
    csv_path = locate.resolve_jena(jena_fragment, tmp_path / "cache")

    lines = csv_path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("Date Time")
    assert len(lines) == 4_001
    # The shared folder holds two fragments and no canonical file: the choice is left to the user.
    with pytest.raises(DatasetPathError, match="several candidate files"):
        locate.resolve_jena(jena_fragment.parent, tmp_path / "cache")
