"""Seeded, stratified subsets and validation splits."""

from __future__ import annotations

import numpy as np


def stratified_indices(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Picks `per_class` indices of each class at random, sorted.

    Args:
        labels: integer labels, shape (n,).
        per_class: how many of each class.
        seed: the draw; the same seed gives the same indices.

    Raises:
        ValueError: a class has fewer than `per_class` examples.
    """
    labels = np.asarray(labels).reshape(-1)
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        pool = np.flatnonzero(labels == label)
        if len(pool) < per_class:
            raise ValueError(
                f"class {label} has {len(pool)} examples, fewer than per_class={per_class}."
            )
        chosen.append(rng.choice(pool, size=per_class, replace=False))
    return np.sort(np.concatenate(chosen))


def stratified_subset(x, y, per_class: int, seed: int):
    """`(x[idx], y[idx])` for `idx = stratified_indices(y, per_class, seed)`."""
    idx = stratified_indices(y, per_class, seed)
    return x[idx], y[idx]


def balanced_subset(x, y, size: int, seed: int):
    """A subset of `size` examples, as equal per class as `size` allows.

    `size=250` over 10 classes gives 25 of each. When `size` is not a multiple of
    the class count, the remainder is drawn at random from what is left.
    """
    classes = np.unique(y)
    base = size // len(classes)
    idx = stratified_indices(y, base, seed)
    extra = size - len(idx)
    if extra:
        rest = np.setdiff1d(np.arange(len(y)), idx)
        idx = np.sort(
            np.concatenate(
                [
                    idx,
                    np.random.default_rng(seed + 1).choice(rest, extra, replace=False),
                ]
            )
        )
    return x[idx], y[idx]


def train_val_split(x, y, val_fraction: float = 0.1, seed: int = 0):
    """Splits off a stratified validation set.

    Args:
        x: examples.
        y: their integer labels.
        val_fraction: share of each class held out. Defaults to 0.1.
        seed: the draw. Defaults to 0.

    Returns:
        `(x_train, y_train), (x_val, y_val)`.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}.")
    y = np.asarray(y).reshape(-1)
    rng = np.random.default_rng(seed)
    val = []
    for label in np.unique(y):
        pool = np.flatnonzero(y == label)
        n_val = max(1, int(round(val_fraction * len(pool))))
        val.append(rng.choice(pool, size=n_val, replace=False))
    val = np.sort(np.concatenate(val))
    train = np.setdiff1d(np.arange(len(y)), val)
    return (x[train], y[train]), (x[val], y[val])
