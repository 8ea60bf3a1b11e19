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
import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfcnn.data.datasets import DOWNLOAD_SOURCE, ImageDataset, load_dataset

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
CACHE_ENV = "TFCNN_CACHE_DIR"


def default_cache_dir() -> Path:
    """`$TFCNN_CACHE_DIR`, else `~/.cache/tfcnn`."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "tfcnn")


def cached_dataset(
    name: str, cache_dir: Path | None = None, data_dir=None, refresh: bool = False
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
    """
    path = Path(cache_dir or default_cache_dir()) / f"{name}.npz"
    if path.exists() and not refresh:
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
    dataset = load_dataset(name, data_dir=data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.npz")
    np.savez(
        tmp,
        x_train=dataset.x_train,
        y_train=dataset.y_train,
        x_test=dataset.x_test,
        y_test=dataset.y_test,
        class_names=np.array(dataset.class_names),
        source=np.array(dataset.source),
    )
    os.replace(tmp, path)
    return dataset


def image_folder_datasets(
    root,
    image_size: tuple[int, int] = (224, 224),
    batch_size: int = 32,
    validation_split: float = 0.2,
    seed: int = 0,
    class_names=None,
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
    names = tuple(train.class_names)
    return (
        train.prefetch(tf.data.AUTOTUNE),
        validation.prefetch(tf.data.AUTOTUNE),
        names,
    )


def read_labels_csv(
    csv_path, id_column: str = "id", label_column: str = "breed"
) -> dict[str, str]:
    """`{image id: label}` from a CSV file with a header row (Kaggle's `labels.csv`)."""
    with open(csv_path, newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {id_column, label_column} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(
                f"{csv_path}: no column(s) {sorted(missing)}; the header is {reader.fieldnames}."
            )
        return {row[id_column]: row[label_column] for row in reader}


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
    image_dir, image_size: tuple[int, int] = (224, 224), batch_size: int = 32
):
    """`(ids, dataset)` for an unlabelled folder of images, in sorted file order."""
    files = sorted(
        p for p in Path(image_dir).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES
    )
    if not files:
        raise ValueError(f"{image_dir}: no images ({', '.join(IMAGE_SUFFIXES)}).")
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
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", *class_names])
        for image_id, row in zip(ids, probabilities):
            writer.writerow([image_id, *(f"{p:.6g}" for p in row)])
    return path
