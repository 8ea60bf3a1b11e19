"""Pairs of digits side by side, for the two-digit sum task."""

from __future__ import annotations

import numpy as np


def make_pairs(images: np.ndarray, labels: np.ndarray, n_pairs: int, seed: int = 0):
    """Draws `n_pairs` random pairs (i, j) and puts image i left of image j.

    Draw pairs from the training set and the test set separately, so that no
    test pair contains a training image.

    Args:
        images: (n, h, w) or (n, h, w, c) images.
        labels: (n,) integer labels.
        n_pairs: how many pairs.
        seed: the draw. Defaults to 0.

    Returns:
        `(x, digits, index)`: images of width 2w, the (n_pairs, 2) digit labels
        (left, right), and the (n_pairs, 2) source indices. The sum is
        `digits.sum(axis=1)`.
    """
    if n_pairs < 1:
        raise ValueError(f"n_pairs must be >= 1, got {n_pairs}.")
    labels = np.asarray(labels).reshape(-1)
    rng = np.random.default_rng(seed)
    index = rng.integers(0, len(images), size=(n_pairs, 2))
    x = np.concatenate([images[index[:, 0]], images[index[:, 1]]], axis=2)
    return x, labels[index], index
