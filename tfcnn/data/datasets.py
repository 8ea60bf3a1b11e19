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
from tfcnn.results.bounded import too_large

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
# The largest image read (width x height), checked before it is decoded.
MAX_IMAGE_PIXELS = 8192 * 8192


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
    for images, labels, split in ((*arrays[:2], "train"), (*arrays[2:], "test")):
        check_images_and_labels(images, labels, len(classes), f"{path} ({split})")
    return ImageDataset(name, *arrays, classes, str(path), checksums_ok)


def check_images_and_labels(images, labels, num_classes: int | None, where: str):
    """Refuses what would make training fail or go wrong, before it starts.

    Args:
        images: the images; float ones must be finite (no NaN, no inf).
        labels: integer class labels (one per example, or one per head),
            each in 0..num_classes - 1; float labels (one-hot rows) are not
            checked.
        num_classes: the classes; None checks no labels.
        where: what the arrays are, first in the message (a path, "x").

    Raises:
        ValueError: a NaN or infinite image value, or a label out of range;
            the message names the first one and the fix.
    """
    images = np.asarray(images)
    if images.dtype.kind == "f":
        bad = ~np.isfinite(images.reshape(len(images), -1)).all(axis=1)
        if bad.any():
            raise ValueError(
                f"{where}: {int(bad.sum())} of {len(images)} images hold NaN or "
                f"infinite values (the first is image {int(bad.argmax())}); "
                "training on them makes "
                "the weights NaN. Fix: repair or drop those images (e.g. "
                "np.nan_to_num)."
            )
    labels = np.asarray(labels)
    if num_classes is None or labels.dtype.kind not in "iu" or labels.ndim == 0:
        return
    outside = (labels < 0) | (labels >= num_classes)
    bad = outside.reshape(len(labels), -1).any(axis=1)
    if bad.any():
        first = int(bad.argmax())
        raise ValueError(
            f"{where}: label {labels[first].tolist()} (of example {first}) is not "
            f"a class 0..{num_classes - 1} ({int(outside.sum())} of {outside.size} "
            "labels are out of range). Fix: number the classes from 0, or check "
            "that the label file belongs to these images."
        )


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


def open_image(path: Path, max_pixels: int = MAX_IMAGE_PIXELS):
    """The image of `path`, opened by PIL from its header alone (not decoded yet).

    Args:
        path: a JPEG, PNG, BMP or GIF file.
        max_pixels: the largest width x height accepted. Defaults to
            `MAX_IMAGE_PIXELS`.

    Raises:
        ValueError: the file is not an image, or it is larger than `max_pixels`.
    """
    from PIL import Image

    try:
        image = Image.open(path)
    except Image.DecompressionBombError as error:  # beyond PIL's own limit
        raise ValueError(
            f"{path}: refused before decoding ({error}); replace the image."
        ) from error
    except Exception as error:  # noqa: BLE001 - PIL raises many types
        raise ValueError(
            f"{path}: unreadable image ({error}); delete or replace it."
        ) from error
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise too_large(
            path,
            f"is {width}x{height} = {width * height:,} pixels",
            max_pixels,
            "max_pixels",
        )
    return image


def check_image_files(paths, max_pixels: int = MAX_IMAGE_PIXELS) -> None:
    """Reads the header of every image file: ValueError for any `open_image` refuses.

    Args:
        paths: the image files.
        max_pixels: as `open_image`. Defaults to `MAX_IMAGE_PIXELS`.
    """
    for path in paths:
        open_image(Path(path), max_pixels).close()


def _read_jpeg(path: Path, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    with open_image(path, max_pixels) as image:
        try:
            return np.asarray(image.convert("RGB"))
        except Exception as error:  # noqa: BLE001 - PIL raises many types
            raise ValueError(
                f"{path}: unreadable image ({error}); delete or replace it."
            ) from error


def read_image_folder(
    root: Path, class_names=None, max_pixels: int = MAX_IMAGE_PIXELS
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Reads `root/<class>/*.jpg|png` into uint8 images and integer labels.

    Args:
        root: the folder with one sub-folder per class.
        class_names: the class order; defaults to the sorted sub-folder names.
        max_pixels: the largest image (width x height), refused before it is
            decoded. Defaults to `MAX_IMAGE_PIXELS`.

    Raises:
        ValueError: no class folders, an empty class, images of different
            sizes, an image over `max_pixels`, or an unreadable image; the
            message names the path.
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
        images = list(pool.map(lambda path: _read_jpeg(path, max_pixels), files))
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
