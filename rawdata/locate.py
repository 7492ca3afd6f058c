"""Dataset locators: whatever the user points at, one validated IMDB folder or Jena CSV.

The user may give a folder, an archive, a CSV, or nothing at all (then the canonical archive is
downloaded). Archives are unpacked once into the cache, keyed by their sha256, and reused:

* `resolve_imdb` returns an `aclImdb` folder with `train/{pos,neg}` and `test/{pos,neg}`.
* `resolve_jena` returns a plain `jena_climate_2009_2016.csv`-style CSV file.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from rawdata import archives, download, errors

logger = logging.getLogger(__name__)

_IMDB_SPLITS = ("train/pos", "train/neg", "test/pos", "test/neg")
_IMDB_EXPECTED_LAYOUT = "aclImdb/{train,test}/{pos,neg}/*.txt"
_IMDB_TARBALL_NAMES = ("aclImdb_v1.tar.gz", "aclImdb_v1_labeled.tar.gz")
_TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar")
_COMPLETE_MARKER = ".extraction-complete"

_JENA_CSV_NAME = "jena_climate_2009_2016.csv"
_JENA_HEADER_PREFIX = "Date Time"
_JENA_SUFFIXES = (".csv", ".csv.gz", ".zip")

# Checksum (and size, 84,125,825 bytes) from TensorFlow Datasets' url_checksums/imdb_reviews.txt
# (tensorflow/datasets@333639b37af6c6fedf3610a4a2d42f1c6ef6f7d5), where it is listed for the
# http:// form of the same URL; several unrelated projects pin the same digest.
IMDB = download.DatasetSource(
    name="imdb",
    url="https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
    sha256="c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",
    filename="aclImdb_v1.tar.gz",
)

# No trustworthy published sha256 of this zip could be found (TensorFlow Datasets does not ship
# it, and keras.utils.get_file callers do not pin a hash; the TF time-series tutorial only shows
# its size, 13,568,290 bytes). Rather than inventing one, sha256 is None: `download` then warns
# that the file cannot be verified and logs the digest it computed, so it can be pinned later.
JENA = download.DatasetSource(
    name="jena",
    url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/jena_climate_2009_2016.csv.zip",
    sha256=None,
    filename="jena_climate_2009_2016.csv.zip",
)


# --------------------------------------------------------------------------------------------
# IMDB
# --------------------------------------------------------------------------------------------


def resolve_imdb(data_dir: Path | None, cache_dir: Path) -> Path:
    """Returns a validated `aclImdb` folder, downloading or extracting it when needed.

    Accepted `data_dir` values:

    * None: the canonical Stanford tarball is downloaded into `cache_dir` and extracted;
    * an `aclImdb` folder (any folder holding `train/` and `test/`);
    * a folder that contains `aclImdb/`;
    * a folder that contains a tarball (`aclImdb_v1.tar.gz`, `aclImdb_v1_labeled.tar.gz`, or a
      single other `*.tar.gz`);
    * a tarball path.

    Tarballs are extracted once into `cache_dir/aclImdb-<first 12 hex of its sha256>/aclImdb`
    and reused on later calls; a marker file written after a successful extraction ensures an
    interrupted extraction is never reused.

    Args:
        data_dir: Where the data is, or None to download it.
        cache_dir: Folder for downloads and extracted trees; created if missing.

    Returns:
        The `aclImdb` folder, with `train/{pos,neg}` and `test/{pos,neg}` each holding `.txt`
        reviews.

    Raises:
        DatasetPathError: `data_dir` does not exist, is ambiguous or is of an unsupported kind.
        DatasetLayoutError: The folder does not have the expected aclImdb layout.
        DownloadError: Downloading failed.
        ChecksumError: The download did not match the published sha256.
        UnsafeArchiveError: The tarball contains members that would escape the target.
        CorruptArchiveError: The tarball is truncated or corrupt.
    """
    cache_dir = Path(cache_dir)
    if data_dir is None:
        logger.info("No IMDB data folder given; using the canonical download")
        root = _extract_imdb_cached(download.download(IMDB, cache_dir), cache_dir)
    else:
        data_dir = Path(data_dir).expanduser()
        if not data_dir.exists():
            raise errors.DatasetPathError(
                f"IMDB data path {data_dir} does not exist; pass an aclImdb folder, a folder "
                "containing aclImdb/ or aclImdb_v1.tar.gz, a tarball, or nothing to download it"
            )
        if data_dir.is_file():
            if not data_dir.name.endswith(_TAR_SUFFIXES):
                raise errors.DatasetPathError(
                    f"IMDB data file {data_dir} is not a tarball (expected a name ending with "
                    f"{', '.join(_TAR_SUFFIXES)})"
                )
            root = _extract_imdb_cached(data_dir, cache_dir)
        elif (data_dir / "train").is_dir() or (data_dir / "test").is_dir():
            root = data_dir
        elif (data_dir / "aclImdb").is_dir():
            root = data_dir / "aclImdb"
        else:
            root = _extract_imdb_cached(_find_imdb_tarball(data_dir), cache_dir)

    validate_imdb_layout(root)
    logger.info("Using IMDB data in %s", root)
    return root


def validate_imdb_layout(root: Path) -> None:
    """Checks that `root` has non-empty `train/{pos,neg}` and `test/{pos,neg}` folders.

    Args:
        root: The `aclImdb` folder to check.

    Raises:
        DatasetLayoutError: Naming every missing or empty folder and the expected layout.
    """
    problems = _imdb_layout_problems(root)
    if problems:
        raise errors.DatasetLayoutError(
            f"IMDB folder {root} does not have the aclImdb layout: {'; '.join(problems)}. "
            f"Expected {_IMDB_EXPECTED_LAYOUT}, each folder holding at least one review"
        )


def _imdb_layout_problems(root: Path) -> list[str]:
    problems = []
    for split in _IMDB_SPLITS:
        folder = root / split
        if not folder.is_dir():
            problems.append(f"{split}/ is missing")
        elif not _has_txt_file(folder):
            problems.append(f"{split}/ holds no .txt files")
    return problems


def _has_txt_file(folder: Path) -> bool:
    with os.scandir(folder) as entries:
        return any(entry.name.endswith(".txt") and entry.is_file() for entry in entries)


def _find_imdb_tarball(folder: Path) -> Path:
    return _find_data_file(
        folder, _IMDB_TARBALL_NAMES, (".tar.gz",), "IMDB",
        f"neither train/ and test/, nor aclImdb/, nor a tarball "
        f"({' or '.join(_IMDB_TARBALL_NAMES)}); expected {_IMDB_EXPECTED_LAYOUT}")


def _find_data_file(
    folder: Path, preferred: tuple[str, ...], suffixes: tuple[str, ...], dataset: str,
    missing: str,
) -> Path:
    """The first `preferred` file in `folder`, else its only file ending in one of `suffixes`.

    Raises:
      DatasetPathError: no candidate (the message ends with `missing`), or several.
    """
    for name in preferred:
        if (folder / name).is_file():
            return folder / name
    candidates = sorted(path for path in folder.iterdir()
                        if path.is_file() and path.name.lower().endswith(suffixes))
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise errors.DatasetPathError(f"{dataset} data folder {folder} holds {missing}")
    names = ", ".join(path.name for path in candidates)
    raise errors.DatasetPathError(
        f"{dataset} data folder {folder} holds several candidate files ({names}) and none is "
        f"named {' or '.join(preferred)}; pass the path of the file to use")


def _extract_imdb_cached(tarball: Path, cache_dir: Path) -> Path:
    """Extracts an IMDB tarball into the cache once; returns its `aclImdb` folder.

    The tree is extracted and validated in a hidden staging folder, the completed-marker is
    written into it, and only then is it renamed to `aclImdb-<sha256 prefix>`; so the final
    folder never exists half-extracted, and a folder without a matching marker is redone.
    """
    digest = download.sha256_file(tarball)
    extraction = Path(cache_dir) / f"aclImdb-{digest[:12]}"
    marker = extraction / _COMPLETE_MARKER
    if _is_complete(marker, digest):
        logger.info("Reusing IMDB extraction %s of %s", extraction / "aclImdb", tarball)
        return extraction / "aclImdb"
    if extraction.exists():
        logger.warning("Removing incomplete IMDB extraction %s", extraction)
        shutil.rmtree(extraction)

    extraction.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(dir=extraction.parent, prefix=f".{extraction.name}.", suffix=".tmp")
    )
    try:
        staged = archives.safe_extract_tar(tarball, staging / "extraction")
        if not (staged / "aclImdb").is_dir():
            found = sorted(path.name for path in staged.iterdir())
            raise errors.DatasetLayoutError(
                f"tarball {tarball} has no top-level aclImdb/ folder (found {found}); expected "
                f"{_IMDB_EXPECTED_LAYOUT}"
            )
        problems = _imdb_layout_problems(staged / "aclImdb")
        if problems:
            raise errors.DatasetLayoutError(
                f"tarball {tarball} does not have the aclImdb layout: {'; '.join(problems)}. "
                f"Expected {_IMDB_EXPECTED_LAYOUT}, each folder holding at least one review"
            )
        (staged / _COMPLETE_MARKER).write_text(f"{digest}  {tarball.name}\n", encoding="utf-8")
        try:
            os.rename(staged, extraction)
        except OSError:
            # Another process completed the same extraction first: use theirs.
            if not _is_complete(marker, digest):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return extraction / "aclImdb"


def _is_complete(marker: Path, digest: str) -> bool:
    try:
        return marker.read_text(encoding="utf-8").split()[0] == digest
    except (OSError, IndexError):
        return False


# --------------------------------------------------------------------------------------------
# Jena
# --------------------------------------------------------------------------------------------


def resolve_jena(data_dir: Path | None, cache_dir: Path) -> Path:
    """Returns the path of a plain Jena climate CSV, downloading or unpacking it when needed.

    Accepted `data_dir` values:

    * None: the Keras zip is downloaded into `cache_dir` and its CSV extracted;
    * a `.csv` file, used in place;
    * a `.csv.gz` or `.zip` file, unpacked once into `cache_dir/jena-<first 12 hex of its
      sha256>/` and reused on later calls;
    * a folder holding one such file. `jena_climate_2009_2016.csv`, then `.csv.gz`, then
      `.csv.zip` are preferred; any other single candidate is used, and several non-canonical
      candidates are an error.

    Args:
        data_dir: Where the data is, or None to download it.
        cache_dir: Folder for downloads and unpacked files; created if missing.

    Returns:
        Path of a CSV file whose header starts with the "Date Time" column.

    Raises:
        DatasetPathError: `data_dir` does not exist, is ambiguous or is of an unsupported kind.
        DatasetLayoutError: The CSV does not start with the "Date Time" column, or a zip holds
            no single CSV.
        DownloadError: Downloading failed.
        ChecksumError: The download did not match the published sha256.
        UnsafeArchiveError: A zip member would escape the target or is a link.
        CorruptArchiveError: The zip or gzip file is truncated or corrupt.
    """
    cache_dir = Path(cache_dir)
    if data_dir is None:
        logger.info("No Jena data path given; using the canonical download")
        source = download.download(JENA, cache_dir)
    else:
        data_dir = Path(data_dir).expanduser()
        if not data_dir.exists():
            raise errors.DatasetPathError(
                f"Jena data path {data_dir} does not exist; pass a .csv, .csv.gz or .zip file, "
                "a folder holding one, or nothing to download it"
            )
        source = _find_jena_file(data_dir) if data_dir.is_dir() else data_dir

    name = source.name.lower()
    if name.endswith(".csv"):
        csv_path = source
    elif name.endswith(".csv.gz"):
        csv_path = _gunzip_cached(source, cache_dir)
    elif name.endswith(".zip"):
        csv_path = _unzip_csv_cached(source, cache_dir)
    else:
        raise errors.DatasetPathError(
            f"Jena data file {source} is not a .csv, .csv.gz or .zip file")

    _check_jena_header(csv_path)
    logger.info("Using Jena CSV %s", csv_path)
    return csv_path


def _find_jena_file(folder: Path) -> Path:
    return _find_data_file(
        folder, tuple(f"{_JENA_CSV_NAME}{suffix}" for suffix in ("", ".gz", ".zip")),
        _JENA_SUFFIXES, "Jena",
        f"no .csv, .csv.gz or .zip file (expected {_JENA_CSV_NAME}, optionally gzipped or "
        f"zipped)")


def _cached_target(archive: Path, cache_dir: Path, csv_name: str) -> Path:
    """Returns where the CSV unpacked from `archive` is cached, keyed by the archive's sha256."""
    return Path(cache_dir) / f"jena-{download.sha256_file(archive)[:12]}" / csv_name


def _gunzip_cached(gz_path: Path, cache_dir: Path) -> Path:
    target = _cached_target(gz_path, cache_dir, gz_path.name[: -len(".gz")])
    if target.is_file():
        logger.info("Reusing decompressed %s for %s", target, gz_path)
        return target
    archives.gunzip(gz_path, target)
    return target


def _unzip_csv_cached(zip_path: Path, cache_dir: Path) -> Path:
    try:
        with zipfile.ZipFile(zip_path) as archive:
            member = _pick_zip_csv(zip_path, archive)
            target = _cached_target(zip_path, cache_dir, PurePosixPath(member.filename).name)
            if target.is_file():
                logger.info("Reusing extracted %s for %s", target, zip_path)
                return target
            logger.info("Extracting %s from %s to %s", member.filename, zip_path, target)
            with archive.open(member) as stream:
                download.copy_atomic(stream, target)
    except (zipfile.BadZipFile, EOFError, zlib.error) as error:
        raise archives.corrupt_archive(zip_path, error) from error
    return target


def _pick_zip_csv(zip_path: Path, archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    """Checks every member for safety; returns the CSV member to extract."""
    csvs = [info for info in archives.zip_files(zip_path, archive)
            if info.filename.lower().endswith(".csv")]
    for info in csvs:
        if PurePosixPath(info.filename).name == _JENA_CSV_NAME:
            return info
    if len(csvs) == 1:
        return csvs[0]
    names = [info.filename for info in csvs]
    raise errors.DatasetLayoutError(
        f"zip {zip_path} must hold exactly one .csv file or {_JENA_CSV_NAME}; found {names}"
    )


def _check_jena_header(csv_path: Path) -> None:
    with csv_path.open(encoding="utf-8-sig", errors="replace") as stream:
        header = stream.readline().strip()
    if not header.lstrip('"').startswith(_JENA_HEADER_PREFIX):
        raise errors.DatasetLayoutError(
            f"{csv_path} does not look like the Jena climate CSV: its header should start with "
            f'the "{_JENA_HEADER_PREFIX}" column, found {header[:80]!r}'
        )
