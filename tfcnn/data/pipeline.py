"""tf.data input pipelines for the image arrays."""

from __future__ import annotations

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


def make_dataset(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int = 50,
    shuffle: bool = True,
    seed: int = 0,
    repeat: bool = False,
    drop_remainder: bool = False,
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
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
    x = to_float(x)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).cache()
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(
        tf.data.AUTOTUNE
    )
