"""Downloads into a cache folder: streamed, sha256-verified, and written atomically.

A failure (network, HTTP status, dropped connection, checksum, interruption) never leaves a
partial file: bodies are written under a temporary name beside their target and renamed into
place only once complete and verified.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import http.client
import logging
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import BinaryIO

from rawdata import errors

logger = logging.getLogger(__name__)

_CHUNK_SIZE = 1024 * 1024
_MB = 1024 * 1024
_DOWNLOAD_TIMEOUT_SECONDS = 60.0
# Progress is logged every 5% when the server announces the size, else every 10 MB.
_PROGRESS_FRACTION = 0.05
_PROGRESS_BYTES = 10 * _MB


@dataclasses.dataclass(frozen=True)
class DatasetSource:
    """A downloadable file and the checksum that identifies it.

    Attributes:
        name: Short name used in log messages, e.g. "imdb".
        url: Where to download the file from (http or https).
        sha256: Expected lowercase hex sha256 of the file, or None when no trustworthy published
            checksum exists; the download is then logged as unverified.
        filename: Name of the file inside the cache folder.
    """

    name: str
    url: str
    sha256: str | None
    filename: str


def sha256_file(path: Path) -> str:
    """Computes the sha256 of a file, reading it in chunks.

    Args:
        path: File to hash.

    Returns:
        The lowercase hex digest.
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(
    source: DatasetSource, cache_dir: Path, *, timeout: float = _DOWNLOAD_TIMEOUT_SECONDS
) -> Path:
    """Downloads a file into the cache folder, or reuses a verified copy already there.

    The body is streamed into a temporary file in `cache_dir` while being hashed, verified, and
    only then renamed to `cache_dir / source.filename`. On any failure (network error, HTTP
    error, dropped connection, checksum mismatch, interruption) the temporary file is removed,
    so no partial file is ever left behind.

    Args:
        source: What to download.
        cache_dir: Folder that holds downloads; created if missing.
        timeout: Socket timeout in seconds for connecting and for each read.

    Returns:
        Path of the verified file in `cache_dir`.

    Raises:
        DownloadError: The server could not be reached, answered with an error status, or
            closed the connection before sending the whole file.
        ChecksumError: The downloaded file's sha256 differs from `source.sha256`.
    """
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / source.filename

    if target.is_file():
        actual = sha256_file(target)
        if source.sha256 is None:
            _warn_unverified(source, target, actual)
            logger.info("Reusing cached %s download %s", source.name, target)
            return target
        if actual == source.sha256.lower():
            logger.info("Reusing cached %s download %s (sha256 verified)", source.name, target)
            return target
        logger.warning(
            "Cached %s has sha256 %s, expected %s; deleting it and downloading again",
            target,
            actual,
            source.sha256,
        )
        target.unlink()

    scheme = source.url.split(":", 1)[0].lower()
    if scheme not in ("http", "https"):
        raise errors.DownloadError(
            f"cannot download {source.name} from {source.url!r}: only http and https URLs "
            "are supported"
        )

    logger.info("Downloading %s from %s to %s", source.name, source.url, target)
    fd, temp_name = tempfile.mkstemp(dir=cache_dir, prefix=f".{source.filename}.", suffix=".part")
    temp_path = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            actual = _stream_to_file(source, out, timeout)
        if source.sha256 is None:
            _warn_unverified(source, target, actual)
        elif actual != source.sha256.lower():
            raise errors.ChecksumError(
                f"sha256 mismatch for {source.name} downloaded from {source.url}: "
                f"expected {source.sha256}, got {actual}; the download was discarded"
            )
        os.replace(temp_path, target)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    logger.info("Saved %s to %s (sha256 %s)", source.name, target, actual)
    return target


def _stream_to_file(source: DatasetSource, out: BinaryIO, timeout: float) -> str:
    """Streams `source.url` into `out`, logging progress; returns the body's sha256."""
    digest = hashlib.sha256()
    received = 0
    reported = 0
    total: int | None = None
    try:
        with urllib.request.urlopen(source.url, timeout=timeout) as response:
            length_header = response.headers.get("Content-Length", "")
            total = int(length_header) if length_header.isdigit() else None
            step = max(int(total * _PROGRESS_FRACTION), 1) if total else _PROGRESS_BYTES
            while chunk := response.read(_CHUNK_SIZE):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                if received - reported >= step:
                    _log_progress(source.name, received, total)
                    reported = received
    except urllib.error.HTTPError as error:
        raise errors.DownloadError(
            f"downloading {source.name} from {source.url} failed: HTTP {error.code} {error.reason}"
        ) from error
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        raise errors.DownloadError(
            f"downloading {source.name} from {source.url} failed after {received:,} bytes: {error}"
        ) from error
    if total is not None and received != total:
        raise errors.DownloadError(
            f"downloading {source.name} from {source.url} failed: the connection closed after "
            f"{received:,} of {total:,} bytes"
        )
    if received != reported:
        _log_progress(source.name, received, total)
    return digest.hexdigest()


def _log_progress(name: str, received: int, total: int | None) -> None:
    if total:
        logger.info(
            "Downloading %s: %.1f / %.1f MB (%d%%)",
            name,
            received / _MB,
            total / _MB,
            received * 100 // total,
        )
    else:
        logger.info("Downloading %s: %.1f MB", name, received / _MB)


def _warn_unverified(source: DatasetSource, path: Path, actual: str) -> None:
    logger.warning(
        "%s cannot be verified: no published sha256 is known for %s. Computed sha256 %s for %s; "
        "pin it in DatasetSource.sha256 once checked against a trusted copy",
        source.name,
        source.url,
        actual,
        path,
    )


def copy_atomic(stream: BinaryIO, target: Path) -> None:
    """Copies `stream` to a temporary file beside `target`, then renames it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(stream, out, _CHUNK_SIZE)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            target.parent.rmdir()  # only succeeds if nothing else is cached there
        raise

