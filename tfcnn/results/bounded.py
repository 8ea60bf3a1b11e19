"""Size limits checked before a file is read, so that a bad file cannot fill the memory.

Every reader of the library (IDX files, images, labels CSV files, results
JSON, checkpoints, cached data sets) compares the size a file has, or
declares in its header, with a limit before it allocates anything. A file
over its limit is refused with a one-line ValueError that names the file,
the limit and the fix; each reader takes its limit as an argument.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

# Decoded bytes of one IDX file, checkpoint or cached data set (all of
# CIFAR-10 as uint8 is 180 MiB; a checkpoint of the largest model 30 MiB).
MAX_DATA_BYTES = 2 * 1024**3
# Bytes of one text file: a results JSON or a labels CSV.
MAX_TEXT_BYTES = 64 * 1024**2


def size_text(count: int) -> str:
    """A byte count as people read it: 2147483648 -> "2 GiB", 1500 -> "1,500 bytes"."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{count:,} bytes"


def too_large(path, what: str, limit: int, argument: str) -> ValueError:
    """The error for a file over its limit (one line: the file, the limit, the fix).

    Args:
        path: the file.
        what: its size as the message states it, e.g. "declares 4 GiB of data".
        limit: the limit in bytes (or pixels, when `what` says pixels).
        argument: the reader's keyword that raises the limit, e.g. "max_bytes".
    """
    shown = size_text(limit) if argument.endswith("bytes") else f"{limit:,}"
    return ValueError(
        f"{path}: {what}, more than the limit of {shown}. The file is damaged "
        f"or not what its name says: replace it, or, if it is right, pass a "
        f"larger {argument}=."
    )


def check_file_size(path, limit: int, argument: str = "max_bytes") -> int:
    """The size of `path` in bytes; ValueError (`too_large`) when over `limit`.

    Args:
        path: the file.
        limit: the largest size accepted, in bytes.
        argument: the caller's keyword for the limit. Defaults to "max_bytes".
    """
    size = Path(path).stat().st_size
    if size > limit:
        raise too_large(path, f"holds {size_text(size)}", limit, argument)
    return size


def check_npz(path, limit: int = MAX_DATA_BYTES, argument: str = "max_bytes") -> None:
    """Checks an `.npz` file before `np.load` decompresses it.

    The sizes its zip directory declares are summed (Python's zip reader
    never returns more than an entry declares), so a compressed bomb is
    refused before anything is decompressed.

    Args:
        path: the file.
        limit: the largest total of declared sizes, in bytes. Defaults to
            `MAX_DATA_BYTES`.
        argument: the caller's keyword for the limit. Defaults to "max_bytes".

    Raises:
        ValueError: the file is not a zip archive, or declares more than `limit`.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            declared = sum(entry.file_size for entry in archive.infolist())
    except (zipfile.BadZipFile, EOFError, ValueError) as error:
        raise ValueError(
            f"{path}: not a readable .npz file ({error}); it is damaged, delete it."
        ) from error
    if declared > limit:
        raise too_large(path, f"declares {size_text(declared)}", limit, argument)


def read_json(path, max_bytes: int = MAX_TEXT_BYTES) -> dict:
    """The JSON object stored in `path`, its size checked first.

    Args:
        path: the file, e.g. a result written by `tfcnn.results.write_result`.
        max_bytes: the largest file accepted. Defaults to `MAX_TEXT_BYTES`.

    Raises:
        FileNotFoundError: there is no such file.
        ValueError: the file is too large, not UTF-8 JSON, nested too deeply,
            or holds something other than an object; the message names it.
    """
    check_file_size(path, max_bytes)
    try:
        data = json.loads(Path(path).read_bytes())
    except (ValueError, RecursionError) as error:  # JSONDecodeError, UnicodeError
        raise ValueError(
            f"{path}: not a results file ({type(error).__name__}: {error}); it is "
            "damaged: delete it and run its script again."
        ) from error
    if not isinstance(data, dict):
        raise ValueError(
            f"{path}: holds a JSON {type(data).__name__}, not an object; it is not "
            "a results file: delete it and run its script again."
        )
    return data
