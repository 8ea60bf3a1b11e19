"""Random shifts and horizontal flips of training images, fed batch by batch to Keras.

Augmentation is done on NumPy arrays outside the model, so the model stays
exactly the one being studied (no extra layers) and the same code runs on any
Keras backend.
"""

from __future__ import annotations

import math

import keras
import numpy as np


def shift_and_flip(
    images: np.ndarray, rng: np.random.Generator, max_shift: int = 0, flip: bool = False
) -> np.ndarray:
    """Moves each image by a random whole number of pixels, and mirrors half of them.

    Each image of shape (h, w, c) is shifted by (dy, dx), each drawn uniformly
    from {-max_shift, ..., max_shift}; pixels moved in from outside are 0 (the
    background of MNIST-style images). With `flip`, each image is mirrored
    left-right with probability 1/2.

    Args:
        images: array of shape (n, h, w, c).
        rng: the random generator (its state advances).
        max_shift: largest shift in pixels along each axis, >= 0. Defaults to 0.
        flip: mirror half of the images at random. Defaults to False.

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
            images, ((0, 0), (max_shift, max_shift), (max_shift, max_shift), (0, 0))
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
