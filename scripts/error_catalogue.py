"""What can go wrong: every mistake of the catalogue, made for real, with its message.

Each case prepares a small situation in a fresh temporary folder (a damaged
data file, an impossible model, a bad option ...), runs the call that must
fail, and records the exception type and the exact message a user sees. The
temporary folder is replaced by `…` in the messages, so that they do not
change from run to run. `tests/reliability_errors_test.py` runs the same cases
and checks each error, its wording, and that nothing was written.

Writes `docs/results/errors/catalogue.json` (a table for
`docs/what-can-go-wrong.md`). Takes about a minute (it imports TensorFlow and
trains two tiny models for a few steps).

    python scripts/error_catalogue.py
    python scripts/error_catalogue.py --results-dir runs/quick
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gzip
import hashlib
import html
import importlib.util
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tfcnn import build_deep, build_shallow, set_seed
from tfcnn.checkpoints import TrainingBackup
from tfcnn.cli import writable_dir
from tfcnn.data import load_dataset, load_mnist, read_image_folder, write_idx
from tfcnn.data.datasets import IDX_FILES
from tfcnn.results import write_result
from tfcnn.training import compile_classifier, fit_iterations

SCRIPTS = Path(__file__).resolve().parent


class UsageError(Exception):
    """argparse refused an option: it prints this line and exits with status 2."""


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


def load_script(name: str):
    """Imports `scripts/<name>.py` as a module (scripts are not a package)."""
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _script_options(script: str, argv: list[str]) -> Callable[[], object]:
    def parse():
        printed, saved_argv = io.StringIO(), sys.argv
        sys.argv = [f"{script}.py", *argv]  # argparse names the program after it
        try:
            with contextlib.redirect_stderr(printed):
                load_script(script).parse_args(argv)
        except SystemExit:
            raise UsageError(printed.getvalue().strip().splitlines()[-1]) from None
        finally:
            sys.argv = saved_argv

    return parse


def _fake_mnist(folder: Path, train: int = 20, test: int = 10) -> Path:
    """A tiny MNIST-layout folder `<folder>/data/mnist`; returns `<folder>/data`."""
    rng = np.random.default_rng(0)
    mnist = folder / "data" / "mnist"
    mnist.mkdir(parents=True)
    sizes = {"x_train": train, "y_train": train, "x_test": test, "y_test": test}
    for key, name in IDX_FILES.items():
        shape = (sizes[key], 28, 28) if key.startswith("x") else (sizes[key],)
        write_idx(mnist / name, rng.integers(0, 256, shape, dtype=np.uint8))
    return folder / "data"


def _rewrite_gzip(path: Path, edit: Callable[[bytes], bytes]) -> None:
    path.write_bytes(gzip.compress(edit(gzip.decompress(path.read_bytes()))))


def idx_truncated(folder: Path):
    data = _fake_mnist(folder)
    _rewrite_gzip(data / "mnist" / IDX_FILES["x_train"], lambda raw: raw[:-100])
    return lambda: load_mnist(data_dir=data)


def idx_not_gzip(folder: Path):
    data = _fake_mnist(folder)
    (data / "mnist" / IDX_FILES["y_train"]).write_bytes(b"\x8b\x00 not gzip data")
    return lambda: load_mnist(data_dir=data)


def idx_wrong_file(folder: Path):
    data = _fake_mnist(folder)
    page = b"<html><body>Access denied</body></html>"
    (data / "mnist" / IDX_FILES["x_test"]).write_bytes(gzip.compress(page))
    return lambda: load_mnist(data_dir=data)


def checksum_mismatch(folder: Path):
    data = _fake_mnist(folder)
    name = IDX_FILES["y_test"]
    wrong = hashlib.sha256(b"the original file").hexdigest()
    (data / "mnist" / "SHA256SUMS").write_text(f"{wrong}  {name}\n")
    return lambda: load_mnist(data_dir=data)


def labels_mismatch(folder: Path):
    data = _fake_mnist(folder)
    write_idx(data / "mnist" / IDX_FILES["y_train"], np.zeros(15, np.uint8))
    return lambda: load_mnist(data_dir=data)


def image_unreadable(folder: Path):
    from PIL import Image

    for name in ("cat", "dog"):
        (folder / "images" / name).mkdir(parents=True)
        Image.new("RGB", (8, 8)).save(folder / "images" / name / "0.png")
    (folder / "images" / "dog" / "1.jpg").write_bytes(b"half a download")
    return lambda: read_image_folder(folder / "images")


def image_no_classes(folder: Path):
    (folder / "images").mkdir()
    (folder / "images" / "photo.jpg").write_bytes(b"")
    return lambda: read_image_folder(folder / "images")


def _tiny_model(learning_rate: float = 1e-3, optimizer: str = "adam"):
    set_seed(0)
    model = build_shallow(
        filters=2, kernel_size=3, num_classes=3, input_shape=(8, 8, 1)
    )
    return compile_classifier(model, optimizer, learning_rate)


def _tiny_data(n: int = 40, shape=(8, 8, 1)):
    rng = np.random.default_rng(0)
    return rng.random((n, *shape), dtype=np.float32), rng.integers(0, 3, n)


def wrong_input_shape(folder: Path):
    model = _tiny_model()
    x, y = _tiny_data(shape=(32, 32, 3))
    return lambda: fit_iterations(model, x, y, iterations=5, batch_size=10, chunk=5)


def batch_too_large(folder: Path):
    model = _tiny_model()
    x, y = _tiny_data(n=40)
    return lambda: fit_iterations(model, x, y, iterations=5, batch_size=64, chunk=5)


def loss_diverges(folder: Path):
    model = _tiny_model(learning_rate=1e20, optimizer="sgd")
    x, y = _tiny_data()
    backup = TrainingBackup(folder / "checkpoints" / "run")
    return lambda: fit_iterations(
        model, x, y, iterations=20, batch_size=10, chunk=1, callbacks=[backup]
    )


def _checkpoint(folder: Path) -> Path:
    """A real checkpoint of a tiny run (batch size 10) under `folder/checkpoints`."""
    directory = folder / "checkpoints" / "c1" / "deep_valid_seed0"
    backup = TrainingBackup(directory)
    model = _tiny_model()
    backup.set_model(model)
    backup.set_params({"steps": 500})
    backup.restore(model, {"batch_size": 50, "iterations": 20000})
    backup.on_epoch_end(0, {"loss": 1.0})
    return directory


def checkpoint_left_over(folder: Path):
    directory = _checkpoint(folder)
    return lambda: TrainingBackup(directory)


def checkpoint_other_settings(folder: Path):
    directory = _checkpoint(folder)
    model = _tiny_model()
    return lambda: TrainingBackup(directory, resume=True).restore(
        model, {"batch_size": 64, "iterations": 20000}
    )


def results_dir_is_file(folder: Path):
    (folder / "notes.txt").write_text("my notes\n")
    return lambda: write_result(
        "c1", "run", {"accuracy": 0.99}, root=folder / "notes.txt"
    )


def results_option_is_file(folder: Path):
    (folder / "notes.txt").write_text("my notes\n")
    return _script_options(
        "train_mnist_deep", ["--results-dir", str(folder / "notes.txt")]
    )


CASES = [
    Case(
        "data_missing",
        "Loaded MNIST with a data folder that does not hold it, and no copy anywhere "
        "else (download switched off)",
        lambda folder: lambda: load_mnist(data_dir=folder / "data", download=False),
    ),
    Case("idx_truncated", "Loaded MNIST with an IDX file cut short", idx_truncated),
    Case("idx_not_gzip", "Loaded MNIST with a damaged (not gzip) file", idx_not_gzip),
    Case(
        "idx_wrong_file",
        "Loaded MNIST where a file is not IDX data (a saved error page)",
        idx_wrong_file,
    ),
    Case(
        "checksum_mismatch",
        "Loaded MNIST where a file differs from its SHA256SUMS line",
        checksum_mismatch,
    ),
    Case(
        "labels_mismatch",
        "Loaded MNIST with image and label files from different releases",
        labels_mismatch,
    ),
    Case(
        "image_unreadable",
        "Read an image folder holding a file that is not an image",
        image_unreadable,
    ),
    Case(
        "image_no_classes",
        "Read an image folder with no class sub-folders",
        image_no_classes,
    ),
    Case(
        "kernel_too_large",
        "Built a one-layer net with a 29x29 kernel for 28x28 images",
        lambda folder: lambda: build_shallow(kernel_size=29),
    ),
    Case(
        "zero_filters",
        "Built the deep net with 0 filters in its first layer",
        lambda folder: lambda: build_deep(filters=(0, 64)),
    ),
    Case(
        "negative_stride",
        "Built a one-layer net with stride -2",
        lambda folder: lambda: build_shallow(strides=-2),
    ),
    Case(
        "wrong_input_shape",
        "Trained an 8x8 grey-image model on 32x32 colour images",
        wrong_input_shape,
    ),
    Case(
        "unknown_dataset",
        "Asked for the data set 'mnsit'",
        lambda folder: lambda: load_dataset("mnsit"),
    ),
    Case(
        "unknown_optimizer",
        "Compiled with the optimiser 'adamw'",
        lambda folder: lambda: _tiny_model(optimizer="adamw"),
    ),
    Case(
        "batch_too_large",
        "Trained on 40 examples with batches of 64",
        batch_too_large,
    ),
    Case(
        "loss_diverges",
        "Trained with a learning rate of 1e20 (the loss overflows)",
        loss_diverges,
        keeps="checkpoints",
    ),
    Case(
        "checkpoint_left_over",
        "Started a run again after it was killed, without --resume",
        checkpoint_left_over,
    ),
    Case(
        "checkpoint_other_settings",
        "Resumed a killed run with a different batch size",
        checkpoint_other_settings,
    ),
    Case(
        "results_dir_is_file",
        "Wrote results into a folder that is really a file",
        results_dir_is_file,
    ),
    Case(
        "option_results_dir_is_file",
        "Gave a training script --results-dir naming a file",
        results_option_is_file,
    ),
    Case(
        "option_not_positive",
        "Gave a training script --iterations 0",
        lambda folder: _script_options("train_mnist_deep", ["--iterations", "0"]),
    ),
    Case(
        "option_not_a_choice",
        "Gave a training script --padding full",
        lambda folder: _script_options("train_mnist_deep", ["--padding", "full"]),
    ),
]


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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--results-dir",
        type=writable_dir,
        default=None,
        help="where to write errors/catalogue.json (default: docs/results)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows, cases = [], {}
    for case in CASES:
        outcome = run_case(case)
        if outcome.error is None:
            raise SystemExit(f"case {case.name} did not fail")
        allowed = Path(case.keeps) if case.keeps else None
        if any(allowed not in Path(name).parents for name in outcome.changed):
            raise SystemExit(f"case {case.name} wrote {outcome.changed}")
        print(f"{case.name}: {outcome.error_name}: {outcome.message}", flush=True)
        rows.append([case.did, outcome.error_name, table_cell(outcome.message)])
        cases[case.name] = {
            "did": case.did,
            "error": outcome.error_name,
            "message": outcome.message,
        }
    data = {
        "count": len(rows),
        "table": {"columns": ["what you did", "error", "message"], "rows": rows},
        "cases": cases,
    }
    path = write_result(
        "errors",
        "catalogue",
        data,
        wall_seconds=time.perf_counter() - started,
        root=args.results_dir,
    )
    print(f"{len(rows)} cases; wrote {path}")


if __name__ == "__main__":
    main()
