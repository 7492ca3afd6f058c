"""GloVe vectors for the pretrained-embedding model: a local file, or the canonical download.

Offline users pass their file (`glove.6B.100d.txt`, gzipped or not, any dimension); online, the
Stanford `glove.6B.zip` (822 MB, 50/100/200/300d) is downloaded once into the cache and the
requested member extracted next to it.
"""

from __future__ import annotations

import logging
import zipfile
import zlib
from pathlib import Path

from rawdata import archives, download, errors

logger = logging.getLogger(__name__)

# Stanford publishes no checksum for this zip and none was found pinned by a trusted project, so
# the download is logged as unverified with the digest it computed (as for Jena's zip).
GLOVE = download.DatasetSource(
    name="glove",
    url="https://nlp.stanford.edu/data/glove.6B.zip",
    sha256=None,
    filename="glove.6B.zip",
)
DIMENSIONS = (50, 100, 200, 300)


def resolve_glove(path: Path | None, cache_dir: Path, dim: int = 100) -> Path:
    """Returns a GloVe text file: `path` as given, or `glove.6B.<dim>d.txt` from the download.

    Raises:
        DatasetPathError: `path` is not a file, or `dim` is not one glove.6B provides.
        DownloadError, ChecksumError, CorruptArchiveError: the download failed or is broken.
    """
    if path is not None:
        path = Path(path).expanduser()
        if not path.is_file():
            raise errors.DatasetPathError(
                f"GloVe file {path} does not exist; pass a `word v1 ... vN` text file (plain or "
                ".gz), or no --glove to download glove.6B.zip")
        return path.resolve()
    if dim not in DIMENSIONS:
        raise errors.DatasetPathError(f"glove.6B has {DIMENSIONS}-dimensional vectors, not {dim}")
    member = f"glove.6B.{dim}d.txt"
    target = Path(cache_dir) / "glove.6B" / member
    if target.is_file():
        logger.info("Reusing extracted %s", target)
        return target
    archive = download.download(GLOVE, Path(cache_dir))
    logger.info("Extracting %s from %s", member, archive)
    try:
        with zipfile.ZipFile(archive) as handle, handle.open(member) as stream:
            download.copy_atomic(stream, target)
    except KeyError as error:
        raise errors.DatasetLayoutError(f"{archive} has no member {member}") from error
    except (zipfile.BadZipFile, EOFError, zlib.error) as error:
        raise archives.corrupt_archive(archive, error) from error
    return target
