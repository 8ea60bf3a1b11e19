"""Data augmentation: random shifts, flips, rotations and zooms of training images.

One random shift, in two implementations that draw the same thing: each image
moves by a whole number of pixels (dy, dx), each uniform in {-s, ..., s},
the pixels moved in from outside being zeros ("constant") or a mirror of the
border ("reflect"):

- `shift_and_flip` on NumPy arrays, fed batch by batch by `AugmentedBatches`
  (any Keras backend; the model stays exactly the one being studied), with
  zeros by default, the background of MNIST-style images.
- `random_translate` on `tf.data` batches, in `training_dataset`'s CIFAR
  pipeline (stateless, seeded randomness), with reflect padding by default.

Their random numbers differ (NumPy's generator, TensorFlow's stateless ops),
so the same seed does not give the same shifts in both.

Keras layers augment inside a graph instead: `with_augmentation` puts
`RandomTranslation` (a sub-pixel shift, interpolated, zeros outside) and
`RandomRotation` in front of a model; `augmentation_layers` and
`augment_dataset` flip, rotate and zoom an image-folder stream.

The CIFAR pipeline keeps the images in memory as uint8. An epoch is a seeded
permutation of indices; each batch is gathered in one op and augmented as a
whole (vectorised per-example flips and crops, not one Python call per
image), in parallel with training and prefetched, so the CPU cores spend
their time on the model rather than on input.
"""

from __future__ import annotations

import math
import time

import keras
import numpy as np
import tensorflow as tf


def shift_and_flip(
    images: np.ndarray,
    rng: np.random.Generator,
    max_shift: int = 0,
    flip: bool = False,
    mode: str = "constant",
) -> np.ndarray:
    """Moves each image by a random whole number of pixels, and mirrors half of them.

    The random shift of this module on NumPy arrays (see the module
    docstring): each image of shape (h, w, c) is shifted by (dy, dx), each
    drawn uniformly from {-max_shift, ..., max_shift}; pixels moved in from
    outside are 0 with mode "constant" (the background of MNIST-style images).
    With `flip`, each image is mirrored left-right with probability 1/2.

    Args:
        images: array of shape (n, h, w, c).
        rng: the random generator (its state advances).
        max_shift: largest shift in pixels along each axis, >= 0. Defaults to 0.
        flip: mirror half of the images at random. Defaults to False.
        mode: the padding, "constant" (zeros) or "reflect". Defaults to
            "constant".

    Returns:
        A new array of the same shape and dtype.
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"images must have shape (n, h, w, c), got {images.shape}.")
    if max_shift < 0:
        raise ValueError(f"max_shift must be >= 0, got {max_shift}.")
    n, height, width, _ = images.shape
    out = images
    if max_shift:
        padded = np.pad(
            images,
            ((0, 0), (max_shift, max_shift), (max_shift, max_shift), (0, 0)),
            mode=mode,
        )
        # Output pixel (i, j) reads padded pixel (i + max_shift - dy, j + max_shift - dx).
        dy, dx = rng.integers(-max_shift, max_shift + 1, size=(2, n))
        rows = np.arange(height)[None, :] + (max_shift - dy)[:, None]
        cols = np.arange(width)[None, :] + (max_shift - dx)[:, None]
        out = padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
    if flip:
        mirrored = rng.random(n) < 0.5
        out = np.where(mirrored[:, None, None, None], out[:, :, ::-1], out)
    return np.ascontiguousarray(out, dtype=images.dtype)


def shift_by(images: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Every image moved `dy` pixels down and `dx` right; pixels moved in are 0.

    Args:
        images: array of shape (n, h, w, c).
        dy: rows down (negative: up).
        dx: columns right (negative: left).
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"images must have shape (n, h, w, c), got {images.shape}.")
    out = np.zeros_like(images)
    h, w = images.shape[1:3]
    out[:, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = images[
        :, max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


class AugmentedBatches(keras.utils.PyDataset):
    """Shuffled mini-batches of `(x, y)`, freshly shifted and flipped every epoch.

    Args:
        x: images, shape (n, h, w, c).
        y: labels, shape (n,).
        batch_size: examples per batch; the last batch holds the remainder.
        max_shift: see `shift_and_flip`. Defaults to 0.
        flip: see `shift_and_flip`. Defaults to False.
        seed: seed of the shuffling and the augmentation. Defaults to 0.
    """

    def __init__(self, x, y, batch_size: int, max_shift=0, flip=False, seed=0):
        super().__init__()
        if not 1 <= batch_size <= len(x):
            raise ValueError(f"batch_size must be in [1, {len(x)}], got {batch_size}.")
        self.x, self.y = x, y
        self.batch_size, self.max_shift, self.flip = batch_size, max_shift, flip
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(x))

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index: int):
        picked = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        images = shift_and_flip(self.x[picked], self.rng, self.max_shift, self.flip)
        return images, self.y[picked]

    def on_epoch_end(self) -> None:
        self.order = self.rng.permutation(len(self.x))


def random_flip(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Mirrors each image left-right with probability 1/2 (batched, stateless).

    Args:
        images: (B, H, W, C) batch.
        seed: a shape (2,) int tensor for `tf.random.stateless_uniform`.
    """
    flip = tf.random.stateless_uniform([tf.shape(images)[0]], seed) < 0.5
    return tf.where(flip[:, None, None, None], tf.reverse(images, axis=[2]), images)


def random_translate(
    images: tf.Tensor, pad: int, seed: tf.Tensor, mode: str = "reflect"
) -> tf.Tensor:
    """Pads by `pad` pixels and crops back at a random offset per image (batched).

    The random shift of this module in `tf.data` (see the module docstring):
    the same as `tf.image.random_crop` of each padded image, but done with two
    gathers for the whole batch.

    Args:
        images: (B, H, W, C) batch.
        pad: the largest shift in pixels; 0 returns the images unchanged.
        seed: a shape (2,) int tensor.
        mode: the padding, "reflect" (no artificial black borders) or
            "constant" (zeros). Defaults to "reflect".
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


def with_augmentation(
    model: keras.Model, shift_pixels: int = 2, rotation_degrees: float = 10.0
) -> keras.Model:
    """`model` behind random translation and rotation layers (no new weights).

    The layers change the images only while training; at inference they pass
    them through, so evaluation sees the real images.

    Args:
        model: a model taking (h, w, c) images.
        shift_pixels: largest shift, in pixels, each way. Defaults to 2.
        rotation_degrees: largest rotation each way. Defaults to 10.0.
    """
    if shift_pixels < 0 or rotation_degrees < 0:
        raise ValueError(
            "shift_pixels and rotation_degrees must be >= 0, got "
            f"{shift_pixels} and {rotation_degrees}."
        )
    h, w, _ = model.input_shape[1:]
    inputs = keras.Input(model.input_shape[1:], name="image")
    x = keras.layers.RandomTranslation(
        shift_pixels / h, shift_pixels / w, fill_mode="constant", name="shift"
    )(inputs)
    x = keras.layers.RandomRotation(
        rotation_degrees / 360.0, fill_mode="constant", name="rotate"
    )(x)
    return keras.Model(inputs, model(x), name=f"{model.name}_augmented")


def augmentation_layers(
    flip: bool = True, rotation: float = 0.05, zoom: float = 0.1, seed: int = 0
) -> keras.Sequential:
    """Random left-right flips, rotations and zooms, as Keras layers.

    Args:
        flip: mirror half of the images. Defaults to True.
        rotation: the largest rotation, as a fraction of a full turn. Defaults
            to 0.05.
        zoom: the largest zoom, as a fraction of the size. Defaults to 0.1.
        seed: seeds of the layers (seed, seed + 1, seed + 2). Defaults to 0.
    """
    steps = []
    if flip:
        steps.append(keras.layers.RandomFlip("horizontal", seed=seed))
    if rotation:
        steps.append(keras.layers.RandomRotation(rotation, seed=seed + 1))
    if zoom:
        steps.append(keras.layers.RandomZoom(zoom, seed=seed + 2))
    return keras.Sequential(steps, name="augmentation")


def augment_dataset(
    dataset: tf.data.Dataset, layers: keras.Sequential | None = None
) -> tf.data.Dataset:
    """Applies augmentation layers to the images of a batched `(image, label)` dataset.

    Args:
        dataset: batches of `(images, labels)`.
        layers: the layers, in training mode. Defaults to
            `augmentation_layers()`.
    """
    layers = layers or augmentation_layers()
    return dataset.map(
        lambda x, y: (layers(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE
    )
