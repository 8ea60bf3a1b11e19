"""Loaders for MNIST, Fashion-MNIST and CIFAR-10 that work offline."""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from tfcnn.data.idx import read_idx
from tfcnn.data.locate import (
    DataNotFoundError,
    find_dataset_dir,
    not_found_message,
    verify_checksums,
)

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
MNIST_CLASSES = tuple(str(d) for d in range(10))
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
NO_DOWNLOAD_ENV = "TFCNN_NO_DOWNLOAD"
DOWNLOAD_SOURCE = "tfds.load download"


@dataclasses.dataclass(frozen=True)
class ImageDataset:
    """A train/test split as uint8 images and integer labels."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str
    checksums_ok: bool | None = None


def _download_allowed(download: bool | None) -> bool:
    if download is not None:
        return download
    return not os.environ.get(NO_DOWNLOAD_ENV)


def _tfds_download(name, data_dir):
    """`tfds.load(name)`'s train and test splits as arrays shaped like the local loaders'."""
    import tensorflow_datasets as tfds

    splits = tfds.load(
        name,
        split=["train", "test"],
        as_supervised=True,
        batch_size=-1,
        data_dir=data_dir,
    )
    arrays = []
    for images, labels in splits:
        images = np.asarray(images, dtype=np.uint8)
        if images.shape[-1] == 1:  # grey images: (n, h, w), as in the IDX files
            images = images[..., 0]
        arrays += [images, np.asarray(labels, dtype=np.uint8).reshape(-1)]
    return arrays


def _load(name, folder, required, reader, classes, data_dir, download):
    try:
        path, _ = find_dataset_dir(folder, required, data_dir)
    except DataNotFoundError as error:
        if download is None and os.environ.get(NO_DOWNLOAD_ENV):
            raise DataNotFoundError(
                f"{error}\nNot downloaded: ${NO_DOWNLOAD_ENV} is set; unset it to "
                f"let tfds.load('{name}') fetch the data."
            ) from None
        if not _download_allowed(download):
            raise
        try:
            arrays = _tfds_download(name, data_dir)
        except Exception as download_error:  # noqa: BLE001 - any failure means offline
            raise DataNotFoundError(
                f"{error}\nThe online download through tfds.load('{name}') failed "
                f"too: {download_error}"
            ) from download_error
        return ImageDataset(name, *arrays, classes, DOWNLOAD_SOURCE)
    checksums_ok = verify_checksums(path)
    arrays = reader(path)
    return ImageDataset(name, *arrays, classes, str(path), checksums_ok)


def _read_idx_folder(path: Path):
    arrays = [read_idx(path / IDX_FILES[key]) for key in IDX_FILES]
    for images, labels, split in (
        (arrays[0], arrays[1], "train"),
        (arrays[2], arrays[3], "test"),
    ):
        if len(images) != len(labels):
            raise ValueError(
                f"{path}: {split} has {len(images)} images but {len(labels)} labels; "
                "one of the files is not from the same release."
            )
    return arrays


def load_mnist(data_dir=None, download=None) -> ImageDataset:
    """Loads MNIST (60,000 train and 10,000 test 28x28 digits, uint8).

    Args:
        data_dir: folder holding `mnist/`; searched before `$TFCNN_DATA_DIR`,
            the Keras cache and `/usr/share/datasets`. Defaults to None.
        download: whether to fall back to `tfds.load("mnist", data_dir=data_dir)`
            when no folder has the files. Defaults to None: yes, unless
            `$TFCNN_NO_DOWNLOAD` is set.
    """
    return _load(
        "mnist",
        "mnist",
        list(IDX_FILES.values()),
        _read_idx_folder,
        MNIST_CLASSES,
        data_dir,
        download,
    )


def load_fashion_mnist(data_dir=None, download=None) -> ImageDataset:
    """Loads Fashion-MNIST (same layout as MNIST); arguments as `load_mnist`."""
    return _load(
        "fashion_mnist",
        "fashion-mnist",
        list(IDX_FILES.values()),
        _read_idx_folder,
        FASHION_CLASSES,
        data_dir,
        download,
    )


def _read_jpeg(path: Path) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except Exception as error:  # noqa: BLE001 - PIL raises many types
        raise ValueError(
            f"{path}: unreadable image ({error}); delete or replace it."
        ) from error


def read_image_folder(
    root: Path, class_names=None
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Reads `root/<class>/*.jpg|png` into uint8 images and integer labels.

    Args:
        root: the folder with one sub-folder per class.
        class_names: the class order; defaults to the sorted sub-folder names.

    Raises:
        ValueError: no class folders, an empty class, images of different
            sizes, or an unreadable image; the message names the path.
    """
    root = Path(root)
    if class_names is None:
        class_names = tuple(sorted(p.name for p in root.iterdir() if p.is_dir()))
    if not class_names:
        raise ValueError(
            f"{root}: no class folders; expected {root}/<class>/<image>.jpg."
        )
    files, labels = [], []
    for label, name in enumerate(class_names):
        found = sorted(
            p
            for p in (root / name).glob("*")
            if p.suffix.lower() in {".jpg", ".jpeg", ".png"}
        )
        if not found:
            raise ValueError(f"{root / name}: class '{name}' has no images.")
        files += found
        labels += [label] * len(found)
    with ThreadPoolExecutor(max_workers=8) as pool:
        images = list(pool.map(_read_jpeg, files))
    shapes = {image.shape for image in images}
    if len(shapes) != 1:
        raise ValueError(f"{root}: images have different shapes {sorted(shapes)}.")
    return np.stack(images), np.asarray(labels, dtype=np.uint8), tuple(class_names)


def _read_cifar_folder(path: Path):
    from tfcnn.data.pipeline import folder_arrays, image_folder

    folder = image_folder(path)
    names = tuple(folder.info.features["label"].names)
    if names != CIFAR10_CLASSES:
        raise ValueError(
            f"{path}: the class folders are {names}; CIFAR-10 needs exactly "
            f"{CIFAR10_CLASSES} in train/ and test/."
        )
    return (*folder_arrays(folder, "train"), *folder_arrays(folder, "test"))


def load_cifar10(data_dir=None, download=None) -> ImageDataset:
    """Loads CIFAR-10 from `cifar10-jpeg/{train,test}/<class>/*.jpg` (32x32 RGB).

    The folder is read with `tfds.ImageFolder`; images are in the order of the
    classes, then of the file names. Arguments as `load_mnist`; the download
    fallback is `tfds.load("cifar10")`.
    """
    return _load(
        "cifar10",
        "cifar10-jpeg",
        ["train", "test"],
        _read_cifar_folder,
        CIFAR10_CLASSES,
        data_dir,
        download,
    )


LOADERS = {
    "mnist": load_mnist,
    "fashion_mnist": load_fashion_mnist,
    "cifar10": load_cifar10,
}


def load_dataset(name: str, data_dir=None, download=None) -> ImageDataset:
    """Loads a data set by name: one of `LOADERS`."""
    if name not in LOADERS:
        raise ValueError(f"Unknown data set {name!r}; choose one of {sorted(LOADERS)}.")
    return LOADERS[name](data_dir=data_dir, download=download)


__all__ = [
    "ImageDataset",
    "load_mnist",
    "load_fashion_mnist",
    "load_cifar10",
    "load_dataset",
    "read_image_folder",
    "not_found_message",
]
