"""The error catalogue's machinery: mistakes made for real in a temporary folder.

A `Case` prepares a small situation under a fresh folder (a damaged data
file, an impossible model, a bad option ...) and returns the call that must
fail; `run_case` runs it isolated from the user's environment and records the
exception, its message (the folder shown as `…`) and the files the call
changed. The cases themselves are listed in `tfcnn.site.error_cases`.
The helpers below fabricate what the cases need: a tiny MNIST folder, a
tiny model and data, an interrupted run's checkpoint, a script's options.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import html
import importlib.util
import io
import os
import struct
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from tfcnn.data import write_idx
from tfcnn.data.datasets import IDX_FILES
from tfcnn.models import build_shallow
from tfcnn.results import set_seed, write_result
from tfcnn.training.checkpoints import TrainingBackup
from tfcnn.training.fit import compile_classifier


class UsageError(Exception):
    """argparse refused an option: it prints this line and exits with status 2."""


class CaseError(Exception):
    """A case of the catalogue did not fail, or wrote what it may not."""


@dataclasses.dataclass(frozen=True)
class Case:
    """One mistake: what the user did, and how to make it happen under a folder.

    `prepare(folder)` creates what the mistake needs under `folder` and returns
    the call that must fail. The call may write only under `keeps` (relative
    to `folder`; the last good checkpoint of a failed run), nothing else.
    """

    name: str
    did: str
    prepare: Callable[[Path], Callable[[], object]]
    keeps: str | None = None


@contextlib.contextmanager
def isolated(folder: Path):
    """Runs with `folder` as the working folder, the Keras home and the results
    folder, no data folder from the environment, and no downloads."""
    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    os.environ.pop("TFCNN_DATA_DIR", None)
    os.environ.update(
        KERAS_HOME=str(folder / "keras-home"),
        TFCNN_NO_DOWNLOAD="1",
        TFCNN_RESULTS_DIR=str(folder / "results"),
    )
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@dataclasses.dataclass
class Outcome:
    """What a case did: the exception (None if nothing failed) and the files
    under its folder before and after the failing call."""

    error: BaseException | None
    before: dict[str, bytes]
    after: dict[str, bytes]
    folder: Path

    @property
    def changed(self) -> list[str]:
        """Files created, changed or removed by the failing call."""
        names = set(self.before) | set(self.after)
        return sorted(n for n in names if self.before.get(n) != self.after.get(n))

    @property
    def message(self) -> str:
        """The message, with the temporary folder shown as `…`."""
        return str(self.error).replace(str(self.folder), "…")

    @property
    def error_name(self) -> str:
        """The exception's type name, or "usage error (exit status 2)"."""
        if isinstance(self.error, UsageError):
            return "usage error (exit status 2)"
        return type(self.error).__name__


def run_case(case: Case) -> Outcome:
    """Prepares and runs one case in a fresh temporary folder."""
    with tempfile.TemporaryDirectory() as tmp, isolated(Path(tmp)):
        folder = Path(tmp).resolve()
        action = case.prepare(folder)
        before = snapshot(folder)
        error = None
        try:
            action()
        except Exception as raised:  # noqa: BLE001 - recording any failure is the point
            error = raised
        return Outcome(error, before, snapshot(folder), folder)


def table_cell(message: str) -> str:
    """A message as the text of a Markdown table cell: HTML characters, pipes and
    dollar signs (MathJax) escaped, line breaks as <br>."""
    text = html.escape(message, quote=False).replace("|", "\\|").replace("$", "\\$")
    return text.replace("\n", "<br>")


def catalogue(cases: Iterable[Case], verbose: bool = True) -> dict:
    """Runs every case and tabulates what the user did, the error and its message.

    Args:
        cases: the cases, in the order of the table.
        verbose: print one line per case. Defaults to True.

    Returns:
        `count`, `table` (columns and rows for the page) and `cases` (by name:
        `did`, `error`, `message`).

    Raises:
        CaseError: a case did not fail, or its call wrote outside `keeps`.
    """
    rows, entries = [], {}
    for case in cases:
        outcome = run_case(case)
        if outcome.error is None:
            raise CaseError(f"case {case.name} did not fail")
        allowed = Path(case.keeps) if case.keeps else None
        if any(allowed not in Path(name).parents for name in outcome.changed):
            raise CaseError(f"case {case.name} wrote {outcome.changed}")
        if verbose:
            print(f"{case.name}: {outcome.error_name}: {outcome.message}", flush=True)
        rows.append([case.did, outcome.error_name, table_cell(outcome.message)])
        entries[case.name] = {
            "did": case.did,
            "error": outcome.error_name,
            "message": outcome.message,
        }
    return {
        "count": len(rows),
        "table": {"columns": ["what you did", "error", "message"], "rows": rows},
        "cases": entries,
    }


def load_script(path: Path):
    """Imports a script (e.g. `scripts/train_mnist_deep.py`) as a module named after it."""
    path = Path(path)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def script_options(path: Path, argv: list[str]) -> Callable[[], object]:
    """A call that parses `argv` with the script's `parse_args`.

    The script is imported when the call runs; a refusal of argparse is
    raised as a `UsageError` holding the last line it printed.
    """

    def parse():
        printed, saved_argv = io.StringIO(), sys.argv
        sys.argv = [Path(path).name, *argv]  # argparse names the program after it
        try:
            with contextlib.redirect_stderr(printed):
                load_script(path).parse_args(argv)
        except SystemExit:
            raise UsageError(printed.getvalue().strip().splitlines()[-1]) from None
        finally:
            sys.argv = saved_argv

    return parse


def fake_mnist(folder: Path, train: int = 20, test: int = 10) -> Path:
    """A tiny MNIST-layout folder `<folder>/data/mnist` of random images and labels.

    Args:
        folder: where to create `data/mnist`.
        train: training images and labels. Defaults to 20.
        test: test images and labels. Defaults to 10.

    Returns:
        `<folder>/data`, the data folder to load it from.
    """
    rng = np.random.default_rng(0)
    mnist = folder / "data" / "mnist"
    mnist.mkdir(parents=True)
    sizes = {"x_train": train, "y_train": train, "x_test": test, "y_test": test}
    for key, name in IDX_FILES.items():
        shape = (sizes[key], 28, 28) if key.startswith("x") else (sizes[key],)
        top = 256 if key.startswith("x") else 10  # pixels, or the 10 classes
        write_idx(mnist / name, rng.integers(0, top, shape, dtype=np.uint8))
    return folder / "data"


def rewrite_gzip(path: Path, edit: Callable[[bytes], bytes]) -> None:
    """Replaces the content of a gzip file by `edit(content)`, compressed again."""
    path.write_bytes(gzip.compress(edit(gzip.decompress(path.read_bytes()))))


def png_declaring(path: Path, width: int, height: int) -> Path:
    """Writes a 1x1 PNG whose header (IHDR chunk) declares `width` x `height`."""
    from PIL import Image

    Image.new("RGB", (1, 1)).save(path)
    raw = bytearray(path.read_bytes())
    ihdr = struct.pack(">II", width, height) + bytes(raw[24:29])
    raw[16:29] = ihdr
    raw[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    path.write_bytes(bytes(raw))
    return path


def tiny_model(learning_rate: float = 1e-3, optimizer: str = "adam"):
    """A compiled one-layer net (2 filters) for 8x8 grey images of 3 classes.

    Args:
        learning_rate: of the optimiser. Defaults to 1e-3.
        optimizer: its name. Defaults to "adam".
    """
    set_seed(0)
    model = build_shallow(
        filters=2, kernel_size=3, num_classes=3, input_shape=(8, 8, 1)
    )
    return compile_classifier(model, optimizer, learning_rate)


def tiny_data(n: int = 40, shape=(8, 8, 1)):
    """`(x, y)`: `n` random float images of `shape` and labels in 0..2.

    Args:
        n: examples. Defaults to 40.
        shape: of one image. Defaults to (8, 8, 1).
    """
    rng = np.random.default_rng(0)
    return rng.random((n, *shape), dtype=np.float32), rng.integers(0, 3, n)


def interrupted_checkpoint(folder: Path) -> Path:
    """The checkpoint of a tiny run (batch size 50) killed after its first chunk.

    Returns:
        Its folder, `<folder>/checkpoints/c1/deep_valid_seed0`.
    """
    directory = folder / "checkpoints" / "c1" / "deep_valid_seed0"
    backup = TrainingBackup(directory)
    model = tiny_model()
    backup.set_model(model)
    backup.set_params({"steps": 500})
    backup.restore(model, {"batch_size": 50, "iterations": 20000})
    backup.on_epoch_end(0, {"loss": 1.0})
    return directory


def write_errors_result(name: str, data: dict, started: float, root=None) -> Path:
    """Writes `<root>/errors/<name>.json` with the wall time since `started`.

    Args:
        name: the file name without `.json`, e.g. "catalogue".
        data: what the page shows.
        started: `time.perf_counter()` when the work began.
        root: the results folder. Defaults to None (`docs/results`).
    """
    seconds = time.perf_counter() - started
    return write_result("errors", name, data, wall_seconds=seconds, root=root)
