"""Reader and writer for LeCun's IDX format (the MNIST and Fashion-MNIST files)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

# Third byte of the magic number -> element type, as in LeCun's description.
_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in _DTYPES.items()}


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def read_idx(path: str | Path) -> np.ndarray:
    """Reads an IDX file (gzip-compressed when its name ends in `.gz`).

    Args:
        path: the file to read.

    Returns:
        The array, with the shape and element type the header declares.

    Raises:
        ValueError: the magic number is wrong, or the data is shorter or longer
            than the header says. The message names the file.
    """
    path = Path(path)
    try:
        with _open(path) as handle:
            raw = handle.read()
    except (OSError, EOFError) as error:
        raise ValueError(
            f"{path}: cannot be read as IDX ({error}); the file is damaged, "
            "delete it and fetch it again."
        ) from error
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise ValueError(
            f"{path}: bad magic number {raw[:4].hex() or '(empty file)'}; an IDX "
            "file starts with 00 00 <type> <ndim>. Is this the right file?"
        )
    dtype, ndim = _DTYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated header ({len(raw)} bytes).")
    shape = tuple(
        int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        kind = "truncated" if len(raw) < expected else "longer than its header says"
        raise ValueError(
            f"{path}: {kind}: the header declares shape {shape} ({expected} bytes) "
            f"but the file holds {len(raw)} bytes. Fetch the file again."
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Writes `array` as an IDX file (gzip-compressed when `path` ends in `.gz`).

    The same array always gives the same bytes (the gzip header holds no time),
    so checksums of written files are reproducible.
    """
    path = Path(path)
    array = np.asarray(array)
    code = _CODES.get(array.dtype)
    if code is None:
        raise ValueError(
            f"IDX cannot store dtype {array.dtype}; use one of {list(_CODES)}."
        )
    header = bytes([0, 0, code, array.ndim])
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    payload = header + array.astype(_DTYPES[code]).tobytes()
    if path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)
    path.write_bytes(payload)
