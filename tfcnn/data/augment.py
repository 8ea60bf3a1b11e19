"""A `tf.data` pipeline for CIFAR-style training: shuffled, augmented batches from memory.

The images stay in memory as uint8. An epoch is a seeded permutation of
indices; each batch is gathered in one op and augmented as a whole
(vectorised per-example flips and crops, not one Python call per image), in
parallel with training and prefetched, so the two CPU cores spend their time
on the model rather than on input. Augmentation randomness is stateless and
derived from `seed`, so the same seed gives the same batches.
"""

from __future__ import annotations

import time

import numpy as np
import tensorflow as tf


def random_flip(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Mirrors each image left-right with probability 1/2 (batched, stateless).

    Args:
        images: (B, H, W, C) batch.
        seed: a shape (2,) int tensor for `tf.random.stateless_uniform`.
    """
    flip = tf.random.stateless_uniform([tf.shape(images)[0]], seed) < 0.5
    return tf.where(flip[:, None, None, None], tf.reverse(images, axis=[2]), images)


def random_translate(
    images: tf.Tensor, pad: int, seed: tf.Tensor, mode: str = "REFLECT"
) -> tf.Tensor:
    """Pads by `pad` pixels and crops back at a random offset per image (batched).

    Equivalent to `tf.image.random_crop` of each padded image, but done with two
    gathers for the whole batch.

    Args:
        images: (B, H, W, C) batch.
        pad: the largest shift in pixels; 0 returns the images unchanged.
        seed: a shape (2,) int tensor.
        mode: `tf.pad` mode: "REFLECT" (no artificial black borders) or
            "CONSTANT" (zeros). Defaults to "REFLECT".
    """
    if pad == 0:
        return images
    shape = tf.shape(images)
    batch, height, width = shape[0], shape[1], shape[2]
    padded = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode=mode)
    offsets = tf.random.stateless_uniform(
        [batch, 2], seed, minval=0, maxval=2 * pad + 1, dtype=tf.int32
    )
    rows = offsets[:, :1] + tf.range(height)[None, :]  # (B, H)
    cols = offsets[:, 1:] + tf.range(width)[None, :]  # (B, W)
    cropped = tf.gather(padded, rows, axis=1, batch_dims=1)  # (B, H, W + 2 pad, C)
    return tf.gather(cropped, cols, axis=2, batch_dims=1)


def augment_batch(
    images: tf.Tensor, seed: tf.Tensor, flip: bool = True, translate: int = 2
) -> tf.Tensor:
    """Random flip then random translation of a uint8 or float batch.

    Args:
        images: (B, H, W, C) batch.
        seed: a shape (2,) int tensor; the flip and the crop use derived seeds.
        flip: mirror half of the images. Defaults to True.
        translate: the largest shift in pixels (reflect padding). Defaults to 2.
    """
    seeds = tf.random.experimental.stateless_split(seed, num=2)
    if flip:
        images = random_flip(images, seeds[0])
    return random_translate(images, translate, seeds[1])


def training_dataset(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    *,
    seed: int = 0,
    num_classes: int = 10,
    flip: bool = True,
    translate: int = 2,
) -> tf.data.Dataset:
    """An endless stream of augmented batches: float32 pixels in [0, 255], one-hot labels.

    Every pass over the data is a new seeded permutation; the last incomplete
    batch of a pass is dropped, so `len(x) // batch_size` batches make an epoch.

    Args:
        x: uint8 images (n, H, W, C).
        y: integer labels (n,).
        batch_size: images per batch.
        seed: seed of the order and of the augmentation. Defaults to 0.
        num_classes: length of the one-hot labels. Defaults to 10.
        flip: random left-right flips. Defaults to True.
        translate: random shifts of up to this many pixels. Defaults to 2.
    """
    if not 1 <= batch_size <= len(x):
        raise ValueError(
            f"batch_size must be between 1 and len(x) = {len(x)}, got {batch_size}."
        )
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} images but y has {len(y)} labels.")
    images = tf.constant(np.asarray(x, dtype=np.uint8))
    labels = tf.one_hot(tf.constant(np.asarray(y).reshape(-1), tf.int32), num_classes)
    steps = len(x) // batch_size

    def epoch(index):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(len(x)), tf.stack([tf.constant(seed, tf.int64), index])
        )
        return tf.data.Dataset.from_tensor_slices(
            tf.reshape(order[: steps * batch_size], (steps, batch_size))
        )

    def load(batch_index, seed_pair):
        batch = augment_batch(
            tf.gather(images, batch_index), seed_pair, flip, translate
        )
        return tf.cast(batch, tf.float32), tf.gather(labels, batch_index)

    batches = tf.data.Dataset.range(2**62).flat_map(
        lambda i: epoch(tf.cast(i, tf.int64))
    )
    seeds = tf.data.Dataset.random(seed=seed).batch(2)
    return (
        tf.data.Dataset.zip(batches, seeds)
        .map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .prefetch(tf.data.AUTOTUNE)
    )


def evaluation_dataset(
    x: np.ndarray, y: np.ndarray, batch_size: int = 1000, num_classes: int = 10
):
    """Batches of float32 pixels in [0, 255] and one-hot labels, in order, unaugmented."""
    labels = tf.one_hot(np.asarray(y).reshape(-1).astype(np.int32), num_classes)
    ds = tf.data.Dataset.from_tensor_slices(
        (np.asarray(x, dtype=np.uint8), labels)
    ).batch(batch_size)
    return ds.map(
        lambda images, onehot: (tf.cast(images, tf.float32), onehot)
    ).prefetch(tf.data.AUTOTUNE)


def measure_throughput(dataset: tf.data.Dataset, batches: int = 50) -> float:
    """Images per second that `dataset` delivers on its own (after one warm-up batch)."""
    iterator = iter(dataset)
    next(iterator)
    started, images = time.perf_counter(), 0
    for _ in range(batches):
        images += int(next(iterator)[0].shape[0])
    return images / (time.perf_counter() - started)
