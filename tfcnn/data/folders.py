"""Image folders and labels-CSV files as `tf.data` pipelines, and a cache for decoded data sets.

- `image_folder_datasets`: `root/<class>/<image>` -> resized, batched training
  and validation datasets (`keras.utils.image_dataset_from_directory`).
- `csv_to_class_folders`: a Kaggle-style `labels.csv` (`id,breed`) over one
  folder of `<id>.jpg` files -> the class-folder layout above, by symbolic links.
- `write_submission`: one probability per class and image, Kaggle's CSV layout.
- `cached_dataset`: a decoded `ImageDataset` kept as one .npz file, so that
  tens of thousands of JPEGs are decoded once, not on every run.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfcnn.data.datasets import (
    DOWNLOAD_SOURCE,
    MAX_IMAGE_PIXELS,
    ImageDataset,
    check_image_files,
    load_dataset,
)
from tfcnn.results import atomic_savez, atomic_write
from tfcnn.results.bounded import (
    MAX_DATA_BYTES,
    MAX_TEXT_BYTES,
    NPZ_ERRORS,
    check_file_size,
    check_npz,
)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
CACHE_ENV = "TFCNN_CACHE_DIR"


def default_cache_dir() -> Path:
    """`$TFCNN_CACHE_DIR`, else `~/.cache/tfcnn`."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "tfcnn")


def cached_dataset(
    name: str,
    cache_dir: Path | None = None,
    data_dir=None,
    refresh: bool = False,
    max_bytes: int = MAX_DATA_BYTES,
) -> ImageDataset:
    """`load_dataset(name)`, decoded once and then read back from `<cache_dir>/<name>.npz`.

    The cache records the folder the data came from (`source`); it is used
    only while that folder still exists. After changing the data, pass
    `refresh=True` (or delete the file).

    Args:
        name: a data set name known to `tfcnn.data.load_dataset`, e.g. "cifar10".
        cache_dir: the cache folder. Defaults to `default_cache_dir()`.
        data_dir: passed to the loader. Defaults to None.
        refresh: decode again and overwrite the cache. Defaults to False.
        max_bytes: the largest cache file read (its declared size, checked
            before it is decompressed). Defaults to `MAX_DATA_BYTES`.
    """
    path = Path(cache_dir or default_cache_dir()) / f"{name}.npz"
    if path.exists() and not refresh:
        check_npz(path, max_bytes)
        try:
            with np.load(path, allow_pickle=False) as cached:
                source = str(cached["source"])
                if Path(source).exists() or source == DOWNLOAD_SOURCE:
                    return ImageDataset(
                        name,
                        cached["x_train"],
                        cached["y_train"],
                        cached["x_test"],
                        cached["y_test"],
                        tuple(str(c) for c in cached["class_names"]),
                        source,
                    )
        except (*NPZ_ERRORS, KeyError) as error:
            raise ValueError(
                f"{path}: a damaged cache ({type(error).__name__}: {error}); "
                "delete it (or pass refresh=True)."
            ) from error
    dataset = load_dataset(name, data_dir=data_dir)
    arrays = {
        "x_train": dataset.x_train,
        "y_train": dataset.y_train,
        "x_test": dataset.x_test,
        "y_test": dataset.y_test,
        "class_names": np.array(dataset.class_names),
        "source": np.array(dataset.source),
    }
    atomic_savez(path, arrays)
    return dataset


def image_folder_datasets(
    root,
    image_size: tuple[int, int] = (224, 224),
    batch_size: int = 32,
    validation_split: float = 0.2,
    seed: int = 0,
    class_names=None,
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> tuple[tf.data.Dataset, tf.data.Dataset, tuple[str, ...]]:
    """Training and validation datasets from `root/<class>/<image>`, resized, batched.

    Images are float32 in [0, 255] (the model normalises), labels integers in
    the order of `class_names`.

    Args:
        root: the folder with one sub-folder per class.
        image_size: (height, width) every image is resized to (bilinear).
            Defaults to (224, 224).
        batch_size: images per batch. Defaults to 32.
        validation_split: share of the images held out, drawn with `seed`.
            Defaults to 0.2.
        seed: the split and the shuffle. Defaults to 0.
        class_names: the class order; defaults to the sorted sub-folder names.
        max_pixels: the largest image (width x height); every file's header
            is read first, so a larger one is refused before anything is
            decoded. Defaults to `MAX_IMAGE_PIXELS`.

    Returns:
        `(train, validation, class_names)`.
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(
            f"root {root} is not a folder; expected {root}/<class>/<image>.jpg."
        )
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"validation_split must be in (0, 1), got {validation_split}.")
    train, validation = keras.utils.image_dataset_from_directory(
        root,
        labels="inferred",
        label_mode="int",
        class_names=list(class_names) if class_names else None,
        image_size=tuple(image_size),
        batch_size=batch_size,
        shuffle=True,
        seed=seed,
        validation_split=validation_split,
        subset="both",
        verbose=False,
    )
    check_image_files([*train.file_paths, *validation.file_paths], max_pixels)
    names = tuple(train.class_names)
    return (
        train.prefetch(tf.data.AUTOTUNE),
        validation.prefetch(tf.data.AUTOTUNE),
        names,
    )


def _plain_name(text: str) -> bool:
    """Whether `text` can be a file or folder name (no path, not hidden)."""
    return bool(text) and not text.startswith(".") and not set(text) & set("/\\\0")


def read_labels_csv(
    csv_path,
    id_column: str = "id",
    label_column: str = "breed",
    max_bytes: int = MAX_TEXT_BYTES,
) -> dict[str, str]:
    """`{image id: label}` from a CSV file with a header row (Kaggle's `labels.csv`).

    Ids become file names and labels folder names, so each must be a plain
    name: not empty, no `/`, `\\` or NUL, not starting with a dot (which
    also rules out `..`).

    Args:
        csv_path: the UTF-8 file.
        id_column: the column of the image ids. Defaults to "id".
        label_column: the column of the labels. Defaults to "breed".
        max_bytes: the largest file read. Defaults to `MAX_TEXT_BYTES`.

    Raises:
        ValueError: the file is too large, not UTF-8 CSV, lacks a column, or
            has a row without an id or label, an id given twice, or an id or
            label that is not a plain name; the message names the line.
    """
    check_file_size(csv_path, max_bytes)
    try:
        text = Path(csv_path).read_bytes().decode("utf-8-sig")
        reader = csv.DictReader(io.StringIO(text, newline=""))
        missing = {id_column, label_column} - set(reader.fieldnames or ())
        if missing:
            header = reader.fieldnames or "empty"
            raise ValueError(
                f"{csv_path}: no column(s) {sorted(missing)}; the header is {header}."
            )
        labels = {}
        for row in reader:
            image_id, label = row[id_column], row[label_column]
            line = reader.line_num
            if image_id is None or label is None:
                raise ValueError(f"{csv_path}: line {line} has too few fields.")
            if not (_plain_name(image_id) and _plain_name(label)):
                raise ValueError(
                    f"{csv_path}: line {line}: id {image_id!r} or label {label!r} is "
                    "not a plain name (empty, a path, or starting with a dot); fix "
                    "the line."
                )
            if image_id in labels:
                raise ValueError(f"{csv_path}: line {line}: id {image_id!r} again.")
            labels[image_id] = label
    except (UnicodeDecodeError, csv.Error) as error:
        raise ValueError(
            f"{csv_path}: not a UTF-8 CSV file ({error}); save it as CSV (UTF-8)."
        ) from error
    return labels


def csv_to_class_folders(
    csv_path,
    image_dir,
    out_dir,
    id_column: str = "id",
    label_column: str = "breed",
    suffix: str = ".jpg",
) -> tuple[str, ...]:
    """Links `image_dir/<id><suffix>` into `out_dir/<label>/` for every row of the CSV.

    Afterwards `image_folder_datasets(out_dir)` reads the data; nothing is
    copied (symbolic links).

    Returns:
        The sorted class names.

    Raises:
        ValueError: an id in the CSV has no image file (the message names it).
    """
    labels = read_labels_csv(csv_path, id_column, label_column)
    image_dir, out_dir = Path(image_dir), Path(out_dir)
    for image_id, label in labels.items():
        source = image_dir / f"{image_id}{suffix}"
        if not source.exists():
            raise ValueError(f"{csv_path}: id {image_id!r} has no image {source}.")
        target = out_dir / label / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            target.symlink_to(source.resolve())
    return tuple(sorted(set(labels.values())))


def test_images(
    image_dir,
    image_size: tuple[int, int] = (224, 224),
    batch_size: int = 32,
    max_pixels: int = MAX_IMAGE_PIXELS,
):
    """`(ids, dataset)` for an unlabelled folder of images, in sorted file order.

    Args:
        image_dir: the folder of images.
        image_size: (height, width) every image is resized to. Defaults to
            (224, 224).
        batch_size: images per batch. Defaults to 32.
        max_pixels: the largest image, refused before decoding. Defaults to
            `MAX_IMAGE_PIXELS`.
    """
    files = sorted(
        p for p in Path(image_dir).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES
    )
    if not files:
        raise ValueError(f"{image_dir}: no images ({', '.join(IMAGE_SUFFIXES)}).")
    check_image_files(files, max_pixels)
    dataset = keras.utils.image_dataset_from_directory(
        image_dir,
        labels=None,
        image_size=tuple(image_size),
        batch_size=batch_size,
        shuffle=False,
        verbose=False,
    )
    if len(dataset.file_paths) != len(files) or any(
        Path(p).name != f.name for p, f in zip(dataset.file_paths, files)
    ):
        raise ValueError(
            f"{image_dir}: the loader's file order differs from the sorted listing."
        )
    return [f.stem for f in files], dataset


def write_submission(path, ids, probabilities, class_names) -> Path:
    """Writes Kaggle's layout: a header `id,<class 1>,...`, then one row of probabilities per image."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.shape != (len(ids), len(class_names)):
        raise ValueError(
            f"probabilities have shape {probabilities.shape}; expected ({len(ids)}, {len(class_names)})."
        )
    path = Path(path)

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", *class_names])
            for image_id, row in zip(ids, probabilities):
                writer.writerow([image_id, *(f"{p:.6g}" for p in row)])

    atomic_write(path, write)
    return path
