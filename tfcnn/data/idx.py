"""Reader and writer for LeCun's IDX format (the MNIST and Fashion-MNIST files).

`read_idx` reads the header first and then at most the bytes it declares
(plus one, to notice a longer file), in blocks, so a damaged or hostile file
(a small .gz that decompresses to gigabytes, a header declaring a huge
shape) is refused without filling the memory.
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from tfcnn.results import atomic_write
from tfcnn.results.bounded import MAX_DATA_BYTES, too_large

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
# The largest data an IDX file may declare (MNIST's training images: 47 MB).
MAX_IDX_BYTES = MAX_DATA_BYTES
# Bytes read at a time, so that memory grows with the data actually there.
_BLOCK = 1 << 20


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _read_at_most(handle, count: int) -> bytearray:
    """Up to `count` bytes of `handle`, read in blocks (fewer at its end)."""
    data = bytearray()
    while len(data) < count:
        block = handle.read(min(_BLOCK, count - len(data)))
        if not block:
            break
        data += block
    return data


def _parse(handle, path: Path, max_bytes: int) -> np.ndarray:
    """The array of an open IDX stream: header, size checks, then the data."""
    magic = handle.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _DTYPES:
        raise ValueError(
            f"{path}: bad magic number {magic.hex() or '(empty file)'}; an IDX "
            "file starts with 00 00 <type> <ndim>. Is this the right file?"
        )
    dtype, ndim = _DTYPES[magic[2]], magic[3]
    dims = handle.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise ValueError(
            f"{path}: truncated header ({4 + len(dims)} bytes). Fetch the file again."
        )
    shape = tuple(int.from_bytes(dims[4 * i : 4 * i + 4], "big") for i in range(ndim))
    size = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if size > max_bytes:
        declared = f"the header declares shape {shape}, {size:,} bytes of data"
        raise too_large(path, declared, max_bytes, "max_bytes")
    data = _read_at_most(handle, size + 1)
    if len(data) != size:
        expected, found = 4 + len(dims) + size, 4 + len(dims) + len(data)
        held = f"{found} bytes" if len(data) < size else "more"
        kind = "truncated" if len(data) < size else "longer than its header says"
        raise ValueError(
            f"{path}: {kind}: the header declares shape {shape} ({expected} bytes) "
            f"but the file holds {held}. Fetch the file again."
        )
    return (
        np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
    )


def read_idx(path: str | Path, max_bytes: int = MAX_IDX_BYTES) -> np.ndarray:
    """Reads an IDX file (gzip-compressed when its name ends in `.gz`).

    Args:
        path: the file to read.
        max_bytes: the largest data (after decompression) a header may declare.
            Defaults to `MAX_IDX_BYTES` (2 GiB).

    Returns:
        The array, with the shape and element type the header declares.

    Raises:
        ValueError: the magic number is wrong, the header declares more than
            `max_bytes`, the data is shorter or longer than the header says,
            or the compressed stream is damaged. The message names the file.
    """
    path = Path(path)
    try:
        with _open(path) as handle:
            return _parse(handle, path, max_bytes)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(
            f"{path}: cannot be read as IDX ({error}); the file is damaged, "
            "delete it and fetch it again."
        ) from error


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Writes `array` as an IDX file (gzip-compressed when `path` ends in `.gz`).

    The same array always gives the same bytes (the gzip header holds no time),
    so checksums of written files are reproducible. The file is written
    atomically (a killed write leaves no partial file).

    Args:
        path: the file to write.
        array: uint8, int8, int16, int32, float32 or float64 values (any byte
            order), at most 255 axes of at most 2**32 - 1 each.

    Raises:
        ValueError: IDX cannot store the array's type or shape.
    """
    path = Path(path)
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(
            f"IDX cannot store dtype {array.dtype}; use one of {list(_CODES)}."
        )
    if array.ndim > 255 or any(n >= 2**32 for n in array.shape):
        raise ValueError(
            f"IDX cannot store shape {array.shape}: at most 255 axes of at most "
            f"{2**32 - 1} each; reshape the array."
        )
    header = bytes([0, 0, code, array.ndim])
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    payload = header + array.astype(_DTYPES[code]).tobytes()
    if path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)
    atomic_write(path, lambda tmp: tmp.write_bytes(payload))
