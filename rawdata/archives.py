"""Archive extraction that does not trust the archive, and one error for every broken one.

No member may escape the target folder or be anything but a regular file or folder, and a
failed extraction leaves nothing behind: trees are unpacked beside their target and renamed
into place, single files are written with `download.copy_atomic`.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from rawdata import download, errors

logger = logging.getLogger(__name__)


def _check_member_name(archive: Path, name: str) -> None:
    """Raises UnsafeArchiveError if `name` is absolute or climbs out with `..`."""
    # Backslashes are treated as separators too: harmless on POSIX, and safer if ever not.
    posix = name.replace("\\", "/")
    parts = PurePosixPath(posix).parts
    if not name:
        raise errors.UnsafeArchiveError(f"{archive} contains a member with an empty name")
    if posix.startswith("/"):
        raise errors.UnsafeArchiveError(
            f"{archive} contains member {name!r} with an absolute path; refusing to extract"
        )
    if ".." in parts:
        raise errors.UnsafeArchiveError(
            f"{archive} contains member {name!r} with a '..' component that would escape the "
            "target folder; refusing to extract"
        )


def _check_tar_member(archive: Path, member: tarfile.TarInfo) -> None:
    """Raises UnsafeArchiveError unless `member` is a regular file or folder inside the target."""
    _check_member_name(archive, member.name)
    if member.isfile() or member.isdir():
        return
    if member.issym():
        kind = f"symlink member {member.name!r} -> {member.linkname!r}"
    elif member.islnk():
        kind = f"hard link member {member.name!r} -> {member.linkname!r}"
    elif member.isfifo():
        kind = f"fifo member {member.name!r}"
    elif member.ischr() or member.isblk():
        kind = f"device member {member.name!r}"
    else:
        kind = f"member {member.name!r} of unsupported type {member.type!r}"
    raise errors.UnsafeArchiveError(
        f"{archive} contains {kind}; only regular files and folders are allowed"
    )


def _plain_mode(member: tarfile.TarInfo) -> tarfile.TarInfo:
    """Replaces the archive's permission bits (no setuid, no world-writable files)."""
    member.mode = 0o755 if member.isdir() else 0o644
    return member


def _without_owner(member: tarfile.TarInfo, _dest: str) -> tarfile.TarInfo:
    """Extraction filter that keeps the archive's owners from being applied (when root)."""
    return member.replace(uid=None, gid=None, uname=None, gname=None, deep=False)


@contextlib.contextmanager
def _temp_dir_next_to(dest: Path) -> Iterator[Path]:
    """Yields a fresh temporary folder beside `dest`; it is removed unless renamed away."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp"))
    try:
        yield temp
    finally:
        if temp.exists():
            shutil.rmtree(temp, ignore_errors=True)


def safe_extract_tar(tar_path: Path, dest_dir: Path) -> Path:
    """Extracts a tar archive (optionally gzip/bz2/xz-compressed) without trusting it.

    Every member is checked before anything is written: absolute paths, `..` components,
    symlinks, hard links, devices and fifos are refused. The archive is extracted into a
    temporary folder beside `dest_dir`, which is renamed to `dest_dir` only when extraction
    succeeded, so a failed extraction leaves nothing behind.

    Args:
        tar_path: The archive to extract.
        dest_dir: Folder to create with the archive's content; it must not exist yet.

    Returns:
        `dest_dir`.

    Raises:
        DatasetPathError: `tar_path` is missing or `dest_dir` already exists.
        UnsafeArchiveError: A member would escape `dest_dir` or is not a regular file/folder.
        CorruptArchiveError: The archive is truncated, corrupt, empty or not a tar archive.
    """
    tar_path, dest_dir = Path(tar_path), Path(dest_dir)
    if not tar_path.is_file():
        raise errors.DatasetPathError(f"tar archive {tar_path} does not exist or is not a file")
    if dest_dir.exists():
        raise errors.DatasetPathError(
            f"extraction target {dest_dir} already exists; remove it or choose a new folder"
        )

    logger.info("Extracting %s to %s", tar_path, dest_dir)
    with _temp_dir_next_to(dest_dir) as temp:
        try:
            with tarfile.open(tar_path, mode="r:*") as archive:
                members = []
                for member in archive:
                    _check_tar_member(tar_path, member)
                    members.append(_plain_mode(member))
                if not members:
                    raise errors.CorruptArchiveError(f"tar archive {tar_path} contains no members")
                if hasattr(tarfile, "data_filter"):
                    # The checks above cover what the "data" filter checks, without its two
                    # realpath() calls per member (they double the time to unpack the 50,000
                    # IMDB files); this filter only drops the archive's owners.
                    archive.extractall(temp, members=members, filter=_without_owner)
                else:  # pragma: no cover - interpreters without PEP 706 extraction filters
                    archive.extractall(temp, members=members)
        except tarfile.TarError as error:
            raise corrupt_archive(tar_path, error) from error
        except (EOFError, zlib.error) as error:
            raise corrupt_archive(tar_path, error) from error
        except OSError as error:
            # Errors with an errno (disk full, permission denied) are about the destination,
            # not the archive; errno-less ones (e.g. gzip.BadGzipFile) mean a bad archive.
            if error.errno is not None:
                raise
            raise corrupt_archive(tar_path, error) from error
        try:
            os.rename(temp, dest_dir)
        except OSError as error:
            if dest_dir.exists():
                raise errors.DatasetPathError(
                    f"extraction target {dest_dir} was created by someone else meanwhile"
                ) from error
            raise
    logger.info("Extracted %d members of %s to %s", len(members), tar_path, dest_dir)
    return dest_dir


def corrupt_archive(archive: Path, error: BaseException) -> errors.CorruptArchiveError:
    """The error for a broken archive of any format: the fix is always to download it again."""
    return errors.CorruptArchiveError(
        f"{archive} is truncated, corrupt or not a supported archive "
        f"({type(error).__name__}: {error}); delete it and download it again"
    )



def gunzip(gz_path: Path, target: Path) -> None:
    """Decompresses `gz_path` into `target`, atomically.

    Raises:
        CorruptArchiveError: The file is truncated or not gzip data.
    """
    logger.info("Decompressing %s to %s", gz_path, target)
    try:
        with gzip.open(gz_path, "rb") as stream:
            download.copy_atomic(stream, target)
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise corrupt_archive(gz_path, error) from error


def zip_files(zip_path: Path, archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """Checks every member of `archive` for safety; returns its files, macOS metadata left out.

    Raises:
        UnsafeArchiveError: A member would escape the target folder or is a symlink.
    """
    files = []
    for info in archive.infolist():
        _check_member_name(zip_path, info.filename)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise errors.UnsafeArchiveError(
                f"{zip_path} contains symlink member {info.filename!r}; only regular files and "
                "folders are allowed"
            )
        if info.is_dir() or info.filename.startswith("__MACOSX/"):
            continue
        files.append(info)
    return files
