"""Finding a data set on disk: argument, environment, caches, system folder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

ENV_VAR = "TFCNN_DATA_DIR"
SYSTEM_DATA_DIR = Path("/usr/share/datasets")


class DataNotFoundError(FileNotFoundError):
    """A data set is in none of the places tfcnn looks."""


class ChecksumError(ValueError):
    """A data file's SHA-256 does not match its SHA256SUMS line."""


def keras_cache_dir() -> Path:
    """Keras' download cache (`$KERAS_HOME/datasets`, else `~/.keras/datasets`)."""
    home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(home) / "datasets"


def candidate_roots(data_dir: str | Path | None = None) -> list[tuple[str, Path]]:
    """The folders searched for data sets, in order, each with how it was chosen."""
    roots = []
    if data_dir is not None:
        roots.append(("argument data_dir", Path(data_dir)))
    if os.environ.get(ENV_VAR):
        roots.append((f"${ENV_VAR}", Path(os.environ[ENV_VAR])))
    roots.append(("Keras cache", keras_cache_dir()))
    roots.append(("system datasets", SYSTEM_DATA_DIR))
    return roots


def find_dataset_dir(
    folder: str, required: list[str], data_dir: str | Path | None = None
) -> tuple[Path, list[str]]:
    """Finds the first root whose `folder` holds every file in `required`.

    Args:
        folder: the data set's folder name under a root, e.g. "mnist".
        required: file or folder names that must exist inside it.
        data_dir: an explicit root, searched first. Defaults to None.

    Returns:
        The folder found, and the list of places looked at (for messages).

    Raises:
        DataNotFoundError: no root has it; the message lists every place and
            how to point tfcnn at the data.
    """
    looked = []
    for how, root in candidate_roots(data_dir):
        path = root / folder
        missing = [name for name in required if not (path / name).exists()]
        if not missing:
            return path, looked
        looked.append(f"{path} ({how}): " + ("missing " + ", ".join(missing)))
    raise DataNotFoundError(not_found_message(folder, looked))


def not_found_message(folder: str, looked: list[str]) -> str:
    places = "\n".join(f"  - {line}" for line in looked)
    return (
        f"Data set '{folder}' not found. Looked in:\n{places}\n"
        f"Fix: pass data_dir=..., or set {ENV_VAR} to a folder that holds "
        f"'{folder}/' (for example `export {ENV_VAR}=../shared/data`)."
    )


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_checksums(folder: Path) -> bool | None:
    """Checks every file listed in `folder/SHA256SUMS`.

    Returns:
        True when all match, None when there is no SHA256SUMS file.

    Raises:
        ChecksumError: a listed file differs; the message names it.
    """
    sums = folder / "SHA256SUMS"
    if not sums.exists():
        return None
    for line in sums.read_text().splitlines():
        if not line.strip():
            continue
        expected, name = line.split(maxsplit=1)
        path = folder / name.lstrip("*")
        if not path.exists():
            continue
        actual = sha256(path)
        if actual != expected:
            raise ChecksumError(
                f"{path}: SHA-256 is {actual}, but {sums} says {expected}. "
                "The file is damaged or not the original: fetch it again."
            )
    return True
