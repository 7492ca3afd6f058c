"""Tests for components.datasets: downloads, safe extraction and dataset resolution.

Downloads are served by a local http.server on 127.0.0.1; archives are built in tmp_path. The two
integration tests use the real files in ../shared/data.
"""

from __future__ import annotations

import collections
import gzip
import hashlib
import http.server
import io
import logging
import os
import shutil
import socket
import stat
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from components import datasets
from components.datasets import (
    ChecksumError,
    CorruptArchiveError,
    DatasetLayoutError,
    DatasetPathError,
    DatasetSource,
    DownloadError,
    UnsafeArchiveError,
)

SPLITS = ("train/pos", "train/neg", "test/pos", "test/neg")
JENA_CSV = (
    b'"Date Time","p (mbar)","T (degC)"\n'
    b"01.01.2009 00:10:00,996.52,-8.02\n"
    b"01.01.2009 00:20:00,996.57,-8.41\n"
)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _listing(folder: Path) -> list[str]:
    """All entries under `folder` (hidden ones included), relative, sorted."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


# --------------------------------------------------------------------------------------------
# A local HTTP server
# --------------------------------------------------------------------------------------------


class _Server(http.server.ThreadingHTTPServer):
    files: dict[str, bytes]
    hits: collections.Counter[str]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - name fixed by BaseHTTPRequestHandler
        self.server.hits[self.path] += 1
        if self.path == "/error":
            self.send_error(500, "Internal Server Error")
            return
        drop = self.path.startswith("/drop/")
        body = self.server.files.get(self.path.removeprefix("/drop"))
        if body is None:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # /drop/<file> announces the whole file, sends half of it and closes the connection.
        self.wfile.write(body[: len(body) // 2] if drop else body)
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def http_server() -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.files = {}
    server.hits = collections.Counter()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _url(server: _Server, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def _serve(
    server: _Server, path: str, body: bytes, *, sha256: str | None = "auto"
) -> DatasetSource:
    server.files[path] = body
    return DatasetSource(
        name="test",
        url=_url(server, path),
        sha256=_sha256(body) if sha256 == "auto" else sha256,
        filename=Path(path).name,
    )


# --------------------------------------------------------------------------------------------
# download
# --------------------------------------------------------------------------------------------


def test_download_fetches_verifies_and_reuses(http_server, tmp_path, caplog):
    body = os.urandom(3 * 1024 * 1024 + 123)
    source = _serve(http_server, "/data.bin", body)
    cache = tmp_path / "cache"

    with caplog.at_level(logging.INFO, logger=datasets.__name__):
        path = datasets.download(source, cache)

    assert path == cache / "data.bin"
    assert path.read_bytes() == body
    assert _listing(cache) == ["data.bin"]
    assert "(100%)" in caplog.text and "MB" in caplog.text

    assert datasets.download(source, cache) == path
    assert http_server.hits["/data.bin"] == 1


def test_download_replaces_a_corrupt_cached_file(http_server, tmp_path):
    body = b"the real content"
    source = _serve(http_server, "/data.bin", body)
    (tmp_path / "data.bin").write_bytes(b"stale or truncated")

    path = datasets.download(source, tmp_path)

    assert path.read_bytes() == body
    assert http_server.hits["/data.bin"] == 1


def test_download_checksum_mismatch_leaves_no_file(http_server, tmp_path):
    body = b"tampered content"
    expected = "0" * 64
    source = _serve(http_server, "/data.bin", body, sha256=expected)

    with pytest.raises(ChecksumError) as excinfo:
        datasets.download(source, tmp_path)

    assert expected in str(excinfo.value) and _sha256(body) in str(excinfo.value)
    assert _listing(tmp_path) == []


def test_download_http_error_leaves_no_file(http_server, tmp_path):
    source = DatasetSource("test", _url(http_server, "/error"), "0" * 64, "data.bin")

    with pytest.raises(DownloadError, match="HTTP 500"):
        datasets.download(source, tmp_path)

    assert _listing(tmp_path) == []


def test_download_dropped_connection_leaves_no_file(http_server, tmp_path):
    body = os.urandom(200_000)
    _serve(http_server, "/data.bin", body)
    source = DatasetSource("test", _url(http_server, "/drop/data.bin"), _sha256(body), "data.bin")

    with pytest.raises(DownloadError, match="100,000 of 200,000 bytes"):
        datasets.download(source, tmp_path)

    assert _listing(tmp_path) == []


def test_download_unreachable_server_leaves_no_file(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = DatasetSource("test", f"http://127.0.0.1:{port}/data.bin", "0" * 64, "data.bin")

    with pytest.raises(DownloadError, match="data.bin"):
        datasets.download(source, tmp_path, timeout=5)

    assert _listing(tmp_path) == []


def test_download_interrupted_leaves_no_file(tmp_path, monkeypatch):
    class _Response(io.BytesIO):
        headers = {"Content-Length": str(2 * 1024 * 1024)}

        def read(self, size: int = -1) -> bytes:
            if self.tell():
                raise KeyboardInterrupt
            return super().read(size)

    monkeypatch.setattr(
        datasets.urllib.request,
        "urlopen",
        lambda url, timeout: _Response(os.urandom(2 * 1024 * 1024)),
    )
    source = DatasetSource("test", "https://example.invalid/data.bin", "0" * 64, "data.bin")

    with pytest.raises(KeyboardInterrupt):
        datasets.download(source, tmp_path)

    assert _listing(tmp_path) == []


def test_download_without_checksum_warns_and_logs_digest(http_server, tmp_path, caplog):
    body = b"unverifiable content"
    source = _serve(http_server, "/data.bin", body, sha256=None)

    with caplog.at_level(logging.WARNING, logger=datasets.__name__):
        path = datasets.download(source, tmp_path)

    assert path.read_bytes() == body
    assert "cannot be verified" in caplog.text
    assert _sha256(body) in caplog.text


def test_download_refuses_non_http_urls(tmp_path):
    source = DatasetSource("test", f"file://{tmp_path}/x", None, "x")

    with pytest.raises(DownloadError, match="only http and https"):
        datasets.download(source, tmp_path / "cache")


# --------------------------------------------------------------------------------------------
# safe_extract_tar
# --------------------------------------------------------------------------------------------


def _add_file(archive: tarfile.TarFile, name: str, data: bytes = b"data") -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def _hostile_tar(path: Path, name: str, kind: str) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        _add_file(archive, "safe/first.txt")
        info = tarfile.TarInfo(name)
        if kind == "file":
            _add_file(archive, name)
            return path
        if kind == "symlink":
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        elif kind == "hardlink":
            info.type, info.linkname = tarfile.LNKTYPE, "safe/first.txt"
        elif kind == "fifo":
            info.type = tarfile.FIFOTYPE
        elif kind == "device":
            info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
        archive.addfile(info)
    return path


@pytest.mark.parametrize(
    ("name", "kind", "reason"),
    [
        ("{tmp_path}/evil-absolute.txt", "file", "absolute path"),
        ("../evil.txt", "file", "'..'"),
        ("safe/../../evil.txt", "file", "'..'"),
        ("safe/link", "symlink", "symlink"),
        ("safe/hard", "hardlink", "hard link"),
        ("safe/pipe", "fifo", "fifo"),
        ("safe/null", "device", "device"),
    ],
)
def test_safe_extract_tar_refuses_hostile_members(tmp_path, name, kind, reason):
    # The absolute path points into tmp_path, so even a broken check cannot write elsewhere.
    name = name.format(tmp_path=tmp_path)
    tar_path = _hostile_tar(tmp_path / "hostile.tar.gz", name, kind)
    dest = tmp_path / "out"

    with pytest.raises(UnsafeArchiveError, match=reason) as excinfo:
        datasets.safe_extract_tar(tar_path, dest)

    assert repr(name) in str(excinfo.value)
    assert _listing(tmp_path) == ["hostile.tar.gz"]


def test_safe_extract_tar_extracts_regular_archive(tmp_path):
    tar_path = tmp_path / "ok.tar.gz"
    with tarfile.open(tar_path, "w:gz") as archive:
        _add_file(archive, "top/a.txt", b"alpha")
        _add_file(archive, "top/sub/b.txt", b"beta")

    dest = datasets.safe_extract_tar(tar_path, tmp_path / "out")

    assert dest == tmp_path / "out"
    assert (dest / "top/a.txt").read_bytes() == b"alpha"
    assert (dest / "top/sub/b.txt").read_bytes() == b"beta"
    assert _listing(tmp_path) == [
        "ok.tar.gz",
        "out",
        "out/top",
        "out/top/a.txt",
        "out/top/sub",
        "out/top/sub/b.txt",
    ]


def test_safe_extract_tar_refuses_an_existing_destination(tmp_path):
    tar_path = tmp_path / "ok.tar"
    with tarfile.open(tar_path, "w") as archive:
        _add_file(archive, "a.txt")
    (tmp_path / "out").mkdir()

    with pytest.raises(DatasetPathError, match="already exists"):
        datasets.safe_extract_tar(tar_path, tmp_path / "out")


def _truncated_gz() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for index in range(4):
            _add_file(archive, f"top/{index}.bin", os.urandom(64 * 1024))
    return buffer.getvalue()[: len(buffer.getvalue()) // 2]


def _truncated_plain_tar() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        _add_file(archive, "top/a.bin", os.urandom(64 * 1024))
    return buffer.getvalue()[:20_000]


@pytest.mark.parametrize(
    "make",
    [
        _truncated_gz,
        _truncated_plain_tar,
        lambda: b"\x1f\x8b this is not gzip data at all" * 10,
        lambda: os.urandom(4096),
        lambda: b"",
    ],
    ids=["truncated-gz", "truncated-tar", "bad-gzip", "random-bytes", "empty"],
)
def test_safe_extract_tar_reports_corrupt_archives(tmp_path, make):
    tar_path = tmp_path / "broken.tar.gz"
    tar_path.write_bytes(make())

    with pytest.raises(CorruptArchiveError, match="broken.tar.gz"):
        datasets.safe_extract_tar(tar_path, tmp_path / "out")

    assert _listing(tmp_path) == ["broken.tar.gz"]


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

    assert datasets.resolve_imdb(root, tmp_path / "cache") == root


def test_resolve_imdb_accepts_the_parent_folder(tmp_path):
    root = _make_imdb_tree(tmp_path / "data")

    assert datasets.resolve_imdb(tmp_path / "data", tmp_path / "cache") == root


def test_resolve_imdb_extracts_a_tarball_once(tmp_path, monkeypatch):
    tarball = _make_imdb_tarball(tmp_path / "aclImdb_v1.tar.gz", tmp_path / "src")
    cache = tmp_path / "cache"
    calls = []
    real_extract = datasets.safe_extract_tar

    def counting_extract(tar_path: Path, dest_dir: Path) -> Path:
        calls.append(tar_path)
        return real_extract(tar_path, dest_dir)

    monkeypatch.setattr(datasets, "safe_extract_tar", counting_extract)

    first = datasets.resolve_imdb(tarball, cache)
    second = datasets.resolve_imdb(tarball, cache)

    key = datasets.sha256_file(tarball)[:12]
    assert first == second == cache / f"aclImdb-{key}" / "aclImdb"
    assert calls == [tarball]
    assert (first / "train/pos/0_7.txt").read_text(encoding="utf-8") == "review train/pos"
    assert [path.name for path in cache.iterdir()] == [f"aclImdb-{key}"]


@pytest.mark.parametrize("name", ["aclImdb_v1.tar.gz", "aclImdb_v1_labeled.tar.gz", "mine.tar.gz"])
def test_resolve_imdb_finds_the_tarball_in_a_folder(tmp_path, name):
    folder = tmp_path / "downloads"
    folder.mkdir()
    _make_imdb_tarball(folder / name, tmp_path / "src")

    root = datasets.resolve_imdb(folder, tmp_path / "cache")

    assert root.name == "aclImdb" and root.parent.parent == tmp_path / "cache"
    datasets.validate_imdb_layout(root)


def test_resolve_imdb_prefers_the_canonical_tarball_name(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    _make_imdb_tarball(folder / "aclImdb_v1_labeled.tar.gz", tmp_path / "src")
    (folder / "other.tar.gz").write_bytes(b"not used")

    datasets.resolve_imdb(folder, tmp_path / "cache")


def test_resolve_imdb_refuses_several_unnamed_tarballs(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "a.tar.gz").write_bytes(b"a")
    (folder / "b.tar.gz").write_bytes(b"b")

    with pytest.raises(DatasetPathError, match="a.tar.gz, b.tar.gz"):
        datasets.resolve_imdb(folder, tmp_path / "cache")


def test_resolve_imdb_redoes_an_extraction_without_marker(tmp_path):
    tarball = _make_imdb_tarball(tmp_path / "aclImdb_v1.tar.gz", tmp_path / "src")
    cache = tmp_path / "cache"
    half = cache / f"aclImdb-{datasets.sha256_file(tarball)[:12]}" / "aclImdb" / "train" / "pos"
    half.mkdir(parents=True)
    (half / "0_7.txt").write_text("partial", encoding="utf-8")

    root = datasets.resolve_imdb(tarball, cache)

    datasets.validate_imdb_layout(root)
    assert (root / "train/pos/0_7.txt").read_text(encoding="utf-8") == "review train/pos"
    assert (root.parent / datasets._COMPLETE_MARKER).is_file()


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
        datasets.resolve_imdb(root, tmp_path / "cache")

    assert "{train,test}/{pos,neg}" in str(excinfo.value)


def test_resolve_imdb_bad_tarball_leaves_no_cache(tmp_path):
    root = _make_imdb_tree(tmp_path / "src")
    (root / "test/neg/3_7.txt").unlink()
    tarball = tmp_path / "aclImdb_v1.tar.gz"
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(root, arcname="aclImdb")

    with pytest.raises(DatasetLayoutError, match="test/neg/ holds no .txt files"):
        datasets.resolve_imdb(tarball, tmp_path / "cache")

    assert _listing(tmp_path / "cache") == []


def test_resolve_imdb_reports_a_missing_path(tmp_path):
    missing = tmp_path / "nowhere"

    with pytest.raises(DatasetPathError, match="nowhere does not exist"):
        datasets.resolve_imdb(missing, tmp_path / "cache")


def test_resolve_imdb_downloads_when_no_path_is_given(http_server, tmp_path, monkeypatch):
    tarball = _make_imdb_tarball(tmp_path / "served.tar.gz", tmp_path / "src")
    source = _serve(http_server, "/aclImdb_v1.tar.gz", tarball.read_bytes())
    monkeypatch.setattr(datasets, "IMDB", source)

    root = datasets.resolve_imdb(None, tmp_path / "cache")

    assert (tmp_path / "cache/aclImdb_v1.tar.gz").is_file()
    datasets.validate_imdb_layout(root)


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

    assert datasets.resolve_jena(csv_path, tmp_path / "cache") == csv_path


def test_resolve_jena_decompresses_a_gzip_once(tmp_path, monkeypatch):
    gz_path = tmp_path / "jena_climate_2009_2016.csv.gz"
    gz_path.write_bytes(gzip.compress(JENA_CSV))
    cache = tmp_path / "cache"

    first = datasets.resolve_jena(gz_path, cache)

    key = datasets.sha256_file(gz_path)[:12]
    assert first == cache / f"jena-{key}" / "jena_climate_2009_2016.csv"
    assert first.read_bytes() == JENA_CSV
    monkeypatch.setattr(datasets, "copy_atomic", pytest.fail)
    assert datasets.resolve_jena(gz_path, cache) == first
    assert _listing(cache) == [f"jena-{key}", f"jena-{key}/jena_climate_2009_2016.csv"]


def test_resolve_jena_extracts_the_csv_from_a_zip(tmp_path):
    zip_path = _jena_zip(
        tmp_path / "jena_climate_2009_2016.csv.zip",
        {
            "__MACOSX/._jena_climate_2009_2016.csv": b"junk",
            "notes.txt": b"hello",
            "jena_climate_2009_2016.csv": JENA_CSV,
        },
    )

    csv_path = datasets.resolve_jena(zip_path, tmp_path / "cache")

    assert csv_path.name == "jena_climate_2009_2016.csv"
    assert csv_path.read_bytes() == JENA_CSV


def test_resolve_jena_prefers_the_canonical_name_in_a_folder(tmp_path):
    (tmp_path / "other.csv").write_bytes(b"Date Time,x\n")
    (tmp_path / "jena_climate_2009_2016.csv.gz").write_bytes(gzip.compress(JENA_CSV))

    csv_path = datasets.resolve_jena(tmp_path, tmp_path / "cache")

    assert csv_path.read_bytes() == JENA_CSV


def test_resolve_jena_uses_the_single_candidate_in_a_folder(tmp_path):
    (tmp_path / "weather.csv").write_bytes(JENA_CSV)

    assert datasets.resolve_jena(tmp_path, tmp_path / "cache") == tmp_path / "weather.csv"


def test_resolve_jena_refuses_several_unnamed_candidates(tmp_path):
    (tmp_path / "a.csv").write_bytes(JENA_CSV)
    (tmp_path / "b.csv.gz").write_bytes(gzip.compress(JENA_CSV))

    with pytest.raises(DatasetPathError, match=r"a\.csv, b\.csv\.gz") as excinfo:
        datasets.resolve_jena(tmp_path, tmp_path / "cache")

    assert "pass the path" in str(excinfo.value)


@pytest.mark.parametrize("name", ["../evil.csv", "/abs/evil.csv"])
def test_resolve_jena_refuses_escaping_zip_members(tmp_path, name):
    zip_path = _jena_zip(tmp_path / "data.zip", {name: JENA_CSV})

    with pytest.raises(UnsafeArchiveError, match="evil.csv"):
        datasets.resolve_jena(zip_path, tmp_path / "cache")

    assert not (tmp_path / "cache").exists() or _listing(tmp_path / "cache") == []


def test_resolve_jena_refuses_symlinks_in_a_zip(tmp_path):
    zip_path = tmp_path / "data.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        link = zipfile.ZipInfo("jena_climate_2009_2016.csv")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")

    with pytest.raises(UnsafeArchiveError, match="symlink"):
        datasets.resolve_jena(zip_path, tmp_path / "cache")


def test_resolve_jena_refuses_a_zip_with_several_csvs(tmp_path):
    zip_path = _jena_zip(tmp_path / "data.zip", {"a.csv": JENA_CSV, "b.csv": JENA_CSV})

    with pytest.raises(DatasetLayoutError, match="exactly one"):
        datasets.resolve_jena(zip_path, tmp_path / "cache")


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
        datasets.resolve_jena(path, tmp_path / "cache")

    assert not (tmp_path / "cache").exists() or _listing(tmp_path / "cache") == []


def test_resolve_jena_checks_the_header(tmp_path):
    csv_path = tmp_path / "prices.csv"
    csv_path.write_text("date,close\n2020-01-01,1.0\n", encoding="utf-8")

    with pytest.raises(DatasetLayoutError, match="Date Time"):
        datasets.resolve_jena(csv_path, tmp_path / "cache")


def test_resolve_jena_reports_a_missing_path(tmp_path):
    with pytest.raises(DatasetPathError, match="does not exist"):
        datasets.resolve_jena(tmp_path / "nowhere.csv", tmp_path / "cache")


def test_resolve_jena_downloads_when_no_path_is_given(http_server, tmp_path, monkeypatch, caplog):
    body = _jena_zip(tmp_path / "served.zip", {"jena_climate_2009_2016.csv": JENA_CSV}).read_bytes()
    source = _serve(http_server, "/jena_climate_2009_2016.csv.zip", body, sha256=None)
    monkeypatch.setattr(datasets, "JENA", source)

    with caplog.at_level(logging.WARNING, logger=datasets.__name__):
        csv_path = datasets.resolve_jena(None, tmp_path / "cache")

    assert csv_path.read_bytes() == JENA_CSV
    assert "cannot be verified" in caplog.text and _sha256(body) in caplog.text


def test_canonical_sources_are_pinned():
    assert datasets.IMDB.url == "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
    assert datasets.IMDB.sha256 == (
        "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
    )
    assert datasets.JENA.url.endswith("/tf-keras-datasets/jena_climate_2009_2016.csv.zip")


# --------------------------------------------------------------------------------------------
# Real data (../shared/data)
# --------------------------------------------------------------------------------------------


@pytest.mark.integration
def test_resolve_imdb_on_the_real_tarball(imdb_tarball, tmp_path):
    cache = tmp_path / "cache"

    try:
        root = datasets.resolve_imdb(imdb_tarball, cache)

        for split in SPLITS:
            assert sum(1 for _ in (root / split).glob("*.txt")) == 12_500, split
        # The folder holding the tarball resolves to the same, already extracted, tree.
        assert datasets.resolve_imdb(imdb_tarball.parent, cache) == root
    finally:
        # pytest keeps the last runs' tmp_path folders; don't leave 50,000 files in each.
        shutil.rmtree(cache, ignore_errors=True)


@pytest.mark.integration
def test_resolve_jena_on_the_real_fragment(jena_fragment, tmp_path):
    csv_path = datasets.resolve_jena(jena_fragment, tmp_path / "cache")

    lines = csv_path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("Date Time")
    assert len(lines) == 4_001
    # The shared folder holds two fragments and no canonical file: the choice is left to the user.
    with pytest.raises(DatasetPathError, match="several candidate files"):
        datasets.resolve_jena(jena_fragment.parent, tmp_path / "cache")
