"""The results store: seeded runs written as JSON (with metadata) and PNG figures.

Every number on the site comes from a file written here, under
`docs/results/<id>/<name>.json`, always with the seed, versions, commit, machine,
command line, configuration and wall time of the run that produced it.
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib.metadata
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tfcnn.results.bounded import read_json

RESULTS_ENV = "TFCNN_RESULTS_DIR"
# For tests that kill a process while it writes (tests/reliability_kill_test.py):
# set to "<file name>:<seconds>", every `atomic_write` of a file of that name
# prints "renaming <path>" on standard error between writing the temporary
# file and renaming it, and waits that long there. Unset (always, outside such
# tests), it does nothing.
PAUSE_ENV = "TFCNN_PAUSE_BEFORE_RENAME"
REPO_ROOT = Path(__file__).resolve().parents[2]


def results_dir() -> Path:
    """`$TFCNN_RESULTS_DIR` if set, else the repository's `docs/results`."""
    return Path(os.environ.get(RESULTS_ENV) or REPO_ROOT / "docs" / "results")


def set_seed(seed: int, deterministic: bool = True) -> None:
    """Seeds Python, NumPy, TensorFlow and Keras.

    Args:
        seed: the seed.
        deterministic: also turn on TensorFlow's op determinism (identical
            results for identical runs on CPU). Defaults to True.
    """
    import keras
    import tensorflow as tf

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def _git_commit() -> str | None:
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(REPO_ROOT),
                "status",
                "--porcelain",
                "--",
                "tfcnn",
                "scripts",
            ],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty else "")


# Taken when the run starts, so later edits to the tree do not change it.
GIT_COMMIT = _git_commit()


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The feature flags of the first CPU in /proc/cpuinfo (empty if unreadable).

    Args:
        cpuinfo: the text of /proc/cpuinfo; None reads the file. Defaults to None.
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def versions() -> dict:
    """Versions of Python and the libraries a result depends on."""
    import keras
    import scipy
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "tfcnn": importlib.metadata.version("tfcnn"),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }


def machine() -> dict:
    """The hardware a result was measured on."""
    import tensorflow as tf

    return {
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "gpus": [d.name for d in tf.config.list_physical_devices("GPU")],
    }


def run_metadata(
    config=None, seed: int | None = None, wall_seconds: float | None = None
) -> dict:
    """Everything needed to trace and rerun a result."""
    if dataclasses.is_dataclass(config):
        config = dataclasses.asdict(config)
    return {
        "seed": seed,
        "config": config,
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "git_commit": GIT_COMMIT,
        "versions": versions(),
        "machine": machine(),
        "wall_seconds": wall_seconds,
        "written_at": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
    }


def atomic_write(path: Path, write) -> None:
    """Calls `write(tmp_path)` then renames into place: no partial file survives."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as error:  # same type (PermissionError, ...), a clearer message
        raise type(error)(
            f"cannot write {path}: {error.strerror or error}. Fix: choose a folder "
            f"you can write to (the scripts' --results-dir, or ${RESULTS_ENV})."
        ) from error
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)  # mkstemp makes the file private; results are public
        name, _, seconds = os.environ.get(PAUSE_ENV, "").rpartition(":")
        if name == path.name:
            print(f"renaming {path}", file=sys.stderr, flush=True)
            time.sleep(float(seconds))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_savez(path: Path, arrays: dict) -> None:
    """`np.savez` of `arrays` into `path` (an `.npz` file), through `atomic_write`."""

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:  # a handle: np.savez adds no ".npz"
            np.savez(handle, **arrays)

    atomic_write(Path(path), write)


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in a result: {value!r}")


def result_path(result_id: str, name: str, root: Path | None = None) -> Path:
    """Where result `name` of `result_id` lives: `<root>/<result_id>/<name>.json`.

    Args:
        result_id: the results folder's id, e.g. "c1".
        name: the file's name without `.json`, e.g. "summary".
        root: the results folder. Defaults to `results_dir()`.
    """
    return Path(root or results_dir()) / result_id / f"{name}.json"


def write_result(
    result_id: str,
    name: str,
    data: dict,
    *,
    config=None,
    seed=None,
    wall_seconds=None,
    root: Path | None = None,
) -> Path:
    """Writes `<root>/<result_id>/<name>.json` atomically, with run metadata.

    Args:
        result_id: the question or experiment id, e.g. "c1".
        name: the file name without `.json`.
        data: the measurements (JSON-serialisable; NumPy values are converted).
        config: the experiment's configuration (a dataclass or dict).
        seed: the seed of the run; None for multi-seed summaries.
        wall_seconds: how long the run took.
        root: the results folder. Defaults to `results_dir()`.

    Returns:
        The path written.
    """
    path = result_path(result_id, name, root)
    payload = {"meta": run_metadata(config, seed, wall_seconds), **data}
    text = json.dumps(payload, indent=1, default=_jsonable, allow_nan=False)
    atomic_write(path, lambda tmp: tmp.write_text(text + "\n"))
    return path


def read_result(result_id: str, name: str, root: Path | None = None) -> dict:
    """Reads a result written by `write_result` (with `read_json`'s checks).

    Raises:
        FileNotFoundError: there is no such result; the message says what to run.
        ValueError: the file is too large or not a results file.
    """
    path = result_path(result_id, name, root)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} does not exist; run the script that writes result '{result_id}' "
            "(see docs/reproduce.md)."
        )
    return read_json(path)


def stored_or_trained(
    result_id: str,
    name: str,
    train,
    describe,
    *,
    config=None,
    seed=None,
    root: Path | None = None,
) -> dict:
    """The stored result `<root>/<result_id>/<name>.json`, or one trained now and written.

    A written result is read back as it is (with its `meta`). Otherwise
    `train()` is called, a line `  <describe(result)> (<seconds> s)` is
    printed and the result is written by `write_result` with the time
    `train()` took as its wall time.

    Args:
        result_id: the question or experiment id, e.g. "c4".
        name: the file name without `.json`.
        train: called without arguments; returns the result's data.
        describe: the result -> the text of the line printed after training.
        config: the experiment's configuration, stored with the result.
        seed: the seed of the run.
        root: the results folder. Defaults to `results_dir()`.
    """
    path = result_path(result_id, name, root)
    if path.exists():
        return read_json(path)
    started = time.perf_counter()
    result = train()
    seconds = time.perf_counter() - started
    print(f"  {describe(result)} ({seconds:.0f} s)", flush=True)
    write_result(
        result_id,
        name,
        result,
        config=config,
        seed=seed,
        wall_seconds=seconds,
        root=root,
    )
    return result


def save_figure(fig, result_id: str, name: str, root: Path | None = None) -> Path:
    """Saves a matplotlib figure as `<root>/<result_id>/<name>.png`, atomically."""
    import matplotlib.pyplot as plt

    path = Path(root or results_dir()) / result_id / f"{name}.png"
    atomic_write(
        path, lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    )
    plt.close(fig)
    return path
