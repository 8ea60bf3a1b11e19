"""Set A: convolution by hand, strides, losses and optimisers on Fashion-MNIST (A1-A6).

One module per question or tight group: `a1_a2_convolution`, `a3_a4_strides`,
`a5_losses`, `a6_optimizers`.
"""

from __future__ import annotations

import dataclasses

from tfcnn.data import balanced_subset
from tfcnn.training.experiments import Split, load_split


def load_fashion_split(
    val_fraction: float, seed: int, train_size: int | None = None
) -> Split:
    """Fashion-MNIST's training/validation/test split of set A's trained answers.

    Args:
        val_fraction: share of the training images held out for validation.
        seed: seed of the validation draw and of the training sample.
        train_size: if given, train on a class-balanced sample of this many
            training images (a smoke run). Defaults to None (all of them).
    """
    split = load_split("fashion_mnist", val_fraction, seed)
    if train_size is None:
        return split
    x, y = balanced_subset(split.x_train, split.y_train, train_size, seed)
    return dataclasses.replace(split, x_train=x, y_train=y)
