"""The cases of the error catalogue: every mistake made for real, with its message.

Each case prepares a small situation in a fresh temporary folder (a damaged
data file, an impossible model, a bad option ...) and returns the call that
must fail; `tfcnn.site.catalogue` runs them and records the exception type
and the exact message a user sees, the temporary folder shown as `…`.
`main` (behind `scripts/error_catalogue.py`) writes the tables of
`docs/what-can-go-wrong.md` (the mistakes of `CASES`, and the damaged and
hostile files of `HOSTILE_CASES`) to `docs/results/errors/catalogue.json`;
`tests/reliability_errors_test.py` runs the same cases and checks each error,
its wording, and that nothing was written.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import time
import zipfile
from pathlib import Path

import numpy as np

from tfcnn.data import load_dataset, load_mnist, read_image_folder, write_idx
from tfcnn.data.datasets import IDX_FILES
from tfcnn.data.folders import csv_to_class_folders
from tfcnn.models import build_deep, build_shallow
from tfcnn.results import REPO_ROOT, read_result, write_result
from tfcnn.site.catalogue import (
    Case,
    catalogue,
    fake_mnist,
    interrupted_checkpoint,
    png_declaring,
    rewrite_gzip,
    script_options,
    tiny_data,
    tiny_model,
    write_errors_result,
)
from tfcnn.training.checkpoints import CHECKPOINT_FILE, TrainingBackup
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


def idx_gz_bomb(folder: Path):
    data = fake_mnist(folder)
    labels = bytes([0, 0, 8, 1, 0, 0, 0, 20]) + bytes(50_000_000)
    (data / "mnist" / IDX_FILES["y_train"]).write_bytes(gzip.compress(labels))
    return lambda: load_mnist(data_dir=data)


def idx_huge_header(folder: Path):
    data = fake_mnist(folder)
    header = bytes([0, 0, 8, 3]) + (2**31 - 1).to_bytes(4, "big") * 3
    (data / "mnist" / IDX_FILES["x_train"]).write_bytes(gzip.compress(header))
    return lambda: load_mnist(data_dir=data)


def label_out_of_range(label: int, dtype):
    def prepare(folder: Path):
        data = fake_mnist(folder)
        labels = np.arange(10, dtype=dtype) % 10
        labels[7] = label
        write_idx(data / "mnist" / IDX_FILES["y_test"], labels)
        return lambda: load_mnist(data_dir=data)

    return prepare


def image_too_large(folder: Path):
    from PIL import Image

    for name in ("cat", "dog"):
        (folder / "images" / name).mkdir(parents=True)
        Image.new("RGB", (8, 8)).save(folder / "images" / name / "0.png")
    png_declaring(folder / "images" / "dog" / "1.png", 9000, 9000)
    return lambda: read_image_folder(folder / "images")


def images_hold_nan(folder: Path):
    model = tiny_model()
    x, y = tiny_data()
    x[3, 4, 4] = np.nan
    return lambda: fit_iterations(model, x, y, iterations=5, batch_size=10, chunk=5)


def csv_label_is_a_path(folder: Path):
    (folder / "images").mkdir()
    (folder / "images" / "a1.jpg").write_bytes(b"")
    (folder / "labels.csv").write_text("id,breed\na1,../../outside\n")
    return lambda: csv_to_class_folders(
        folder / "labels.csv", folder / "images", folder / "breeds"
    )


def result_cut_short(folder: Path):
    write_result("c1", "run", {"accuracy": 0.99}, root=folder / "results")
    path = folder / "results" / "c1" / "run.json"
    path.write_bytes(path.read_bytes()[:-40])
    return lambda: read_result("c1", "run", root=folder / "results")


def result_nested_deep(folder: Path):
    (folder / "results" / "c1").mkdir(parents=True)
    (folder / "results" / "c1" / "run.json").write_text("[" * 100_000)
    return lambda: read_result("c1", "run", root=folder / "results")


def checkpoint_huge_array(folder: Path):
    directory = interrupted_checkpoint(folder)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (10**10,)}
    )
    with zipfile.ZipFile(directory / CHECKPOINT_FILE, "w") as archive:
        archive.writestr("v0.npy", header.getvalue() + bytes(64))
    model = tiny_model()
    return lambda: TrainingBackup(directory, resume=True).restore(model, {})


def checkpoint_cut_short(folder: Path):
    directory = interrupted_checkpoint(folder)
    path = directory / CHECKPOINT_FILE
    path.write_bytes(path.read_bytes()[:1000])
    model = tiny_model()
    return lambda: TrainingBackup(directory, resume=True).restore(model, {})


# Damaged and hostile files: each is refused before it is read whole.
HOSTILE_CASES = [
    Case(
        "idx_gz_bomb",
        "Loaded MNIST where a 50 kB .gz label file decompresses to 50 MB behind a "
        "header declaring 20 labels",
        idx_gz_bomb,
    ),
    Case(
        "idx_huge_header",
        "Loaded MNIST whose image file's header declares three axes of 2,147,483,647",
        idx_huge_header,
    ),
    Case(
        "label_ten",
        "Loaded MNIST whose test labels hold the class 10",
        label_out_of_range(10, np.uint8),
    ),
    Case(
        "label_negative",
        "Loaded MNIST whose test labels (stored as signed bytes) hold -1",
        label_out_of_range(-1, np.int8),
    ),
    Case(
        "image_too_large",
        "Read an image folder holding a PNG whose header declares 9000x9000 pixels",
        image_too_large,
    ),
    Case("images_nan", "Trained on images holding a NaN", images_hold_nan),
    Case(
        "csv_label_path",
        "Linked a labels CSV whose label is ../../outside into class folders",
        csv_label_is_a_path,
    ),
    Case("result_cut_short", "Read a results file cut short", result_cut_short),
    Case(
        "result_nested_deep",
        "Read a results file of 100,000 nested brackets",
        result_nested_deep,
    ),
    Case(
        "checkpoint_huge_array",
        "Resumed from a checkpoint whose array header declares 40 GB",
        checkpoint_huge_array,
    ),
    Case(
        "checkpoint_cut_short",
        "Resumed from a checkpoint cut short",
        checkpoint_cut_short,
    ),
]


def main(args: argparse.Namespace) -> None:
    """Runs every case and writes `<--results-dir>/errors/catalogue.json`.

    Raises:
        CaseError: a case did not fail, or wrote what it may not.
    """
    started = time.perf_counter()
    data = catalogue(CASES)
    data["hostile"] = catalogue(HOSTILE_CASES)
    path = write_errors_result("catalogue", data, started, args.results_dir)
    print(f"{data['count']} + {data['hostile']['count']} cases; wrote {path}")
