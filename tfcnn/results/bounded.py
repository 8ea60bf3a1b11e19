"""Size limits checked before a file is read, so that a bad file cannot fill the memory.

Every reader of the library (IDX files, images, labels CSV files, results
JSON, checkpoints, cached data sets) compares the size a file has, or
declares in its header, with a limit before it allocates anything. A file
over its limit is refused with a one-line ValueError that names the file,
the limit and the fix; each reader takes its limit as an argument.
"""

from __future__ import annotations

import json
import math
import tokenize
import zipfile
from pathlib import Path

# Decoded bytes of one IDX file, checkpoint or cached data set (all of
# CIFAR-10 as uint8 is 180 MiB; a checkpoint of the largest model 30 MiB).
MAX_DATA_BYTES = 2 * 1024**3
# Bytes of one text file: a results JSON or a labels CSV.
MAX_TEXT_BYTES = 64 * 1024**2
# What reading a damaged .npz file can raise (the zip reader's own errors, a
# compression method it does not know, encryption, NumPy's errors on a damaged
# header).
NPZ_ERRORS = (
    zipfile.BadZipFile,
    NotImplementedError,
    RuntimeError,  # an encrypted entry
    ValueError,
    OSError,
    EOFError,
    SyntaxError,  # NumPy parses an array header as a Python literal
    tokenize.TokenError,
)


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


def _npy_data_bytes(member) -> int:
    """The data size that the header of an open `.npy` stream declares."""
    import numpy as np

    version = np.lib.format.read_magic(member)
    readers = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }
    if version not in readers:
        raise ValueError(f"unsupported .npy version {version}")
    shape, _, dtype = readers[version](member)
    return math.prod(shape) * dtype.itemsize  # Python ints: no overflow


def check_npz(
    path, limit: int = MAX_DATA_BYTES, argument: str = "max_bytes", fix="delete it"
) -> None:
    """Checks an `.npz` file before `np.load` decompresses it.

    The sizes its zip directory declares are summed (Python's zip reader
    never returns more than an entry declares), and the header of every
    array is read to check that it declares no more data than its entry
    holds (NumPy allocates what the header declares before reading). So a
    compressed bomb, or a header declaring a huge shape, is refused before
    anything large is allocated.

    Args:
        path: the file.
        limit: the largest total of declared sizes, in bytes. Defaults to
            `MAX_DATA_BYTES`.
        argument: the caller's keyword for the limit. Defaults to "max_bytes".
        fix: what to do with a damaged file, for the message. Defaults to
            "delete it".

    Raises:
        ValueError: the file is not a zip archive of arrays, declares more
            than `limit`, or an array declares more data than it holds.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            declared = sum(entry.file_size for entry in entries)
            needed = []
            if declared <= limit:
                for entry in entries:
                    with archive.open(entry) as member:
                        needed.append(_npy_data_bytes(member))
    except NPZ_ERRORS as error:
        raise _damaged_npz(path, error, fix) from error
    if declared > limit:
        raise too_large(path, f"declares {size_text(declared)}", limit, argument)
    for entry, size in zip(entries, needed):
        if size > entry.file_size:
            raise _damaged_npz(
                path,
                f"{entry.filename} declares {size_text(size)} of data but holds "
                f"{size_text(entry.file_size)}",
                fix,
            )


def _damaged_npz(path, reason, fix: str) -> ValueError:
    return ValueError(
        f"{path}: not a readable .npz file ({reason}); it is damaged: {fix}."
    )


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
