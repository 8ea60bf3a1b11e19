"""The cases of the error catalogue: every mistake made for real, with its message.

Each case prepares a small situation in a fresh temporary folder (a damaged
data file, an impossible model, a bad option ...) and returns the call that
must fail; `tfcnn.site.catalogue` runs them and records the exception type
and the exact message a user sees, the temporary folder shown as `…`.
`main` (behind `scripts/error_catalogue.py`) writes the table of
`docs/what-can-go-wrong.md` to `docs/results/errors/catalogue.json`;
`tests/reliability_errors_test.py` runs the same cases and checks each error,
its wording, and that nothing was written.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import time
from pathlib import Path

import numpy as np

from tfcnn.data import load_dataset, load_mnist, read_image_folder, write_idx
from tfcnn.data.datasets import IDX_FILES
from tfcnn.models import build_deep, build_shallow
from tfcnn.results import REPO_ROOT, write_result
from tfcnn.site.catalogue import (
    Case,
    catalogue,
    fake_mnist,
    interrupted_checkpoint,
    rewrite_gzip,
    script_options,
    tiny_data,
    tiny_model,
    write_errors_result,
)
from tfcnn.training.checkpoints import TrainingBackup
from tfcnn.training.fit import fit_iterations

# The script whose options the option cases give wrong values.
DEEP_SCRIPT = REPO_ROOT / "scripts" / "train_mnist_deep.py"


def idx_truncated(folder: Path):
    data = fake_mnist(folder)
    rewrite_gzip(data / "mnist" / IDX_FILES["x_train"], lambda raw: raw[:-100])
    return lambda: load_mnist(data_dir=data)


def idx_not_gzip(folder: Path):
    data = fake_mnist(folder)
    (data / "mnist" / IDX_FILES["y_train"]).write_bytes(b"\x8b\x00 not gzip data")
    return lambda: load_mnist(data_dir=data)


def idx_wrong_file(folder: Path):
    data = fake_mnist(folder)
    page = b"<html><body>Access denied</body></html>"
    (data / "mnist" / IDX_FILES["x_test"]).write_bytes(gzip.compress(page))
    return lambda: load_mnist(data_dir=data)


def checksum_mismatch(folder: Path):
    data = fake_mnist(folder)
    name = IDX_FILES["y_test"]
    wrong = hashlib.sha256(b"the original file").hexdigest()
    (data / "mnist" / "SHA256SUMS").write_text(f"{wrong}  {name}\n")
    return lambda: load_mnist(data_dir=data)


def labels_mismatch(folder: Path):
    data = fake_mnist(folder)
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


def wrong_input_shape(folder: Path):
    model = tiny_model()
    x, y = tiny_data(shape=(32, 32, 3))
    return lambda: fit_iterations(model, x, y, iterations=5, batch_size=10, chunk=5)


def batch_too_large(folder: Path):
    model = tiny_model()
    x, y = tiny_data(n=40)
    return lambda: fit_iterations(model, x, y, iterations=5, batch_size=64, chunk=5)


def loss_diverges(folder: Path):
    model = tiny_model(learning_rate=1e20, optimizer="sgd")
    x, y = tiny_data()
    backup = TrainingBackup(folder / "checkpoints" / "run")
    return lambda: fit_iterations(
        model, x, y, iterations=20, batch_size=10, chunk=1, callbacks=[backup]
    )


def checkpoint_left_over(folder: Path):
    directory = interrupted_checkpoint(folder)
    return lambda: TrainingBackup(directory)


def checkpoint_other_settings(folder: Path):
    directory = interrupted_checkpoint(folder)
    model = tiny_model()
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
    return script_options(DEEP_SCRIPT, ["--results-dir", str(folder / "notes.txt")])


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
        lambda folder: lambda: tiny_model(optimizer="adamw"),
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
        lambda folder: script_options(DEEP_SCRIPT, ["--iterations", "0"]),
    ),
    Case(
        "option_not_a_choice",
        "Gave a training script --padding full",
        lambda folder: script_options(DEEP_SCRIPT, ["--padding", "full"]),
    ),
]


def main(args: argparse.Namespace) -> None:
    """Runs every case and writes `<--results-dir>/errors/catalogue.json`.

    Raises:
        CaseError: a case did not fail, or wrote what it may not.
    """
    started = time.perf_counter()
    data = catalogue(CASES)
    path = write_errors_result("catalogue", data, started, args.results_dir)
    print(f"{data['count']} cases; wrote {path}")
