"""Tests for rawdata.archives: tar extraction refuses hostile members and reports corrupt files."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest
from rawdata_fixture import listing

from rawdata import archives
from rawdata.errors import CorruptArchiveError, DatasetPathError, UnsafeArchiveError


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
        archives.safe_extract_tar(tar_path, dest)

    assert repr(name) in str(excinfo.value)
    assert listing(tmp_path) == ["hostile.tar.gz"]


def test_safe_extract_tar_extracts_regular_archive(tmp_path):
    tar_path = tmp_path / "ok.tar.gz"
    with tarfile.open(tar_path, "w:gz") as archive:
        _add_file(archive, "top/a.txt", b"alpha")
        _add_file(archive, "top/sub/b.txt", b"beta")

    dest = archives.safe_extract_tar(tar_path, tmp_path / "out")

    assert dest == tmp_path / "out"
    assert (dest / "top/a.txt").read_bytes() == b"alpha"
    assert (dest / "top/sub/b.txt").read_bytes() == b"beta"
    assert listing(tmp_path) == [
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
        archives.safe_extract_tar(tar_path, tmp_path / "out")


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
        archives.safe_extract_tar(tar_path, tmp_path / "out")

    assert listing(tmp_path) == ["broken.tar.gz"]
