"""tf.data input pipelines: from image arrays, and from image folders through TFDS.

`make_dataset` batches NumPy arrays for training with tf.data's autotuning
off (`set_autotuning`). `image_folder` reads the layout
`root/<split>/<class>/<image>` with `tfds.ImageFolder` (class names are the
sorted class folders); `folder_split` streams one split of it as
`(image, label)` pairs and `folder_arrays` reads one split into arrays, in
the folders' order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf


def to_float(images: np.ndarray) -> np.ndarray:
    """uint8 images -> float32 in [0, 1], with a channel axis for grey images."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(
            f"expected images of shape (n, h, w) or (n, h, w, c), got {images.shape}."
        )
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255.0
    return images.astype(np.float32)


def set_autotuning(ds: tf.data.Dataset, enabled: bool) -> tf.data.Dataset:
    """`ds` with tf.data's autotuning on or off (off: `AUTOTUNE` buffers take fixed sizes).

    With autotuning on, tf.data's default, the end of an iterator (every Keras
    `fit`, `evaluate` and `predict` call ends one) can wait idle for seconds:
    on 2 cores, 60 steps of the deep network took 3 s, or 5.1 s when the wait
    came. The elements and their order are the same either way.
    """
    options = tf.data.Options()
    options.autotune.enabled = enabled
    return ds.with_options(options)


def _check_batch_size(batch_size: int) -> None:
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}.")


def make_dataset(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int = 50,
    shuffle: bool = True,
    seed: int = 0,
    repeat: bool = False,
    drop_remainder: bool = False,
    autotune: bool = False,
) -> tf.data.Dataset:
    """Builds a batched `tf.data.Dataset` of float images in [0, 1].

    Args:
        x: images, uint8 (scaled by 1/255) or float, (n, h, w) or (n, h, w, c).
        y: labels, any shape with n rows (or a tuple/dict of such arrays).
        batch_size: examples per batch. Defaults to 50.
        shuffle: reshuffle every pass, seeded. Defaults to True.
        seed: the shuffle seed. Defaults to 0.
        repeat: repeat forever (for training by iterations). Defaults to False.
        drop_remainder: drop a last, smaller batch. Defaults to False.
        autotune: leave tf.data's autotuning on (see `set_autotuning`).
            Defaults to False.
    """
    _check_batch_size(batch_size)
    x = to_float(x)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).cache()
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    return set_autotuning(
        ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE),
        autotune,
    )


def image_folder(root):
    """`tfds.ImageFolder` over `root/<split>/<class>/<image>` (.jpg, .jpeg or .png).

    Its `info` names the classes (`info.features["label"].names`, the sorted
    class folders) and counts the images of each split (`info.splits`).

    Args:
        root: the folder with one sub-folder per split, e.g. "train" and "test".

    Raises:
        ValueError: `root` is not a folder or holds no split of class folders.
    """
    import tensorflow_datasets as tfds

    root = Path(root)
    layout = f"{root}/<split>/<class>/<image>.jpg"
    if not root.is_dir():
        raise ValueError(f"{root} is not a folder; expected {layout}.")
    builder = tfds.ImageFolder(str(root))
    if not builder.info.features["label"].names:
        raise ValueError(f"{root}: no class folders; expected {layout}.")
    return builder


def _exact_decoder():
    """Decodes JPEGs with the accurate inverse DCT, so that pixels equal PIL's."""
    import tensorflow_datasets as tfds

    @tfds.decode.make_decoder()
    def decode(serialized, feature):
        del feature
        return tf.cond(
            tf.io.is_jpeg(serialized),
            lambda: tf.io.decode_jpeg(
                serialized, channels=3, dct_method="INTEGER_ACCURATE"
            ),
            lambda: tf.io.decode_png(serialized, channels=3),
        )

    return {"image": decode()}


def folder_split(builder, split: str) -> tf.data.Dataset:
    """One split of an `image_folder` as `(image, label)` pairs, in ImageFolder's fixed shuffle.

    Images are uint8 (height, width, 3), decoded as PIL decodes them; labels
    index the builder's class names.

    Args:
        builder: an `image_folder`.
        split: a split folder's name, e.g. "train".
    """
    return builder.as_dataset(
        split=split, as_supervised=True, decoders=_exact_decoder()
    )


def folder_arrays(builder, split: str) -> tuple[np.ndarray, np.ndarray]:
    """One split of an `image_folder` as uint8 arrays, ordered by class, then file name.

    The order is that of `tfcnn.data.read_image_folder` on the split folder.

    Args:
        builder: an `image_folder`.
        split: a split folder's name, e.g. "train".

    Raises:
        ValueError: a class has no image in this split, or the images differ
            in size; the message names the folder.
    """
    folder = Path(builder.data_dir) / split
    examples = builder.as_dataset(split=split, decoders=_exact_decoder())
    images, labels, names = [], [], []
    for example in examples.as_numpy_iterator():
        images.append(example["image"])
        labels.append(example["label"])
        names.append(example["image/filename"])
    classes = builder.info.features["label"].names
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(classes))
    if not counts.all():
        empty = classes[int(np.argmin(counts))]
        raise ValueError(f"{folder / empty}: class '{empty}' has no images.")
    shapes = {image.shape for image in images}
    if len(shapes) != 1:
        raise ValueError(f"{folder}: images have different shapes {sorted(shapes)}.")
    order = np.lexsort((np.asarray(names), np.asarray(labels)))
    return (
        np.stack([images[i] for i in order]),
        np.asarray(labels, dtype=np.uint8)[order],
    )
