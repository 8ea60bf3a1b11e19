"""Train/validation/test splits of a data set as float arrays, and draws from them."""

from __future__ import annotations

import dataclasses

import numpy as np

from tfcnn.data.datasets import load_dataset
from tfcnn.data.pairs import make_pairs
from tfcnn.data.pipeline import to_float
from tfcnn.data.subsets import stratified_indices, train_val_split


@dataclasses.dataclass(frozen=True)
class Split:
    """Float images in [0, 1] with a channel axis, and integer labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple


def load_split(dataset="mnist", val_fraction=0.1, seed=0, data_dir=None) -> Split:
    """Train/validation/test split of a data set; the test set is the official one.

    The validation set (a stratified `val_fraction` of the training set, drawn
    with `seed`) is what model choices use; the test set is only reported.

    Args:
        dataset: a name known to `tfcnn.data.load_dataset`. Defaults to "mnist".
        val_fraction: share of the training set held out. Defaults to 0.1.
        seed: the draw of the validation set. Defaults to 0.
        data_dir: passed to the loader. Defaults to None.
    """
    ds = load_dataset(dataset, data_dir=data_dir)
    (x_train, y_train), (x_val, y_val) = train_val_split(
        ds.x_train, ds.y_train, val_fraction, seed
    )
    return Split(
        to_float(x_train),
        y_train.astype(np.int64),
        to_float(x_val),
        y_val.astype(np.int64),
        to_float(ds.x_test),
        ds.y_test.astype(np.int64),
        ds.class_names,
    )


def few_example_split(
    split: Split, per_class: int = 25, val_per_class: int = 5, draw: int = 0
) -> Split:
    """A small stratified draw from `split`'s training images, the test set kept.

    `per_class` images of each class are drawn (25 gives the 250-example set);
    `val_per_class` of them are held out as the validation set that choices
    use, the rest are trained on. With `val_per_class=0` all are trained on and
    the validation set is empty.

    Args:
        split: the full split to draw from.
        per_class: images of each class in the draw. Defaults to 25.
        val_per_class: of those, held out for validation. Defaults to 5.
        draw: the seed of the draw. Defaults to 0.
    """
    if not 0 <= val_per_class < per_class:
        raise ValueError(
            f"val_per_class ({val_per_class}) must be >= 0 and less than "
            f"per_class ({per_class}), so that some images are left to train on."
        )
    chosen = stratified_indices(split.y_train, per_class, draw)
    held = np.zeros(len(chosen), bool)
    if val_per_class:
        held[stratified_indices(split.y_train[chosen], val_per_class, draw)] = True
    train, val = chosen[~held], chosen[held]
    return dataclasses.replace(
        split,
        x_train=split.x_train[train],
        y_train=split.y_train[train],
        x_val=split.x_train[val],
        y_val=split.y_train[val],
    )


def make_pair_split(
    split, n_train: int, n_val: int = 5000, n_test: int = 10000, seed: int = 0
):
    """Pairs drawn separately from a split's train, validation and test images.

    The validation and test pairs depend only on `seed`'s fixed offsets, not
    on `n_train`, so runs with different training sizes share them. Labels are
    the (n, 2) digits.

    Args:
        split: a `Split` of single digits.
        n_train: training pairs.
        n_val: validation pairs. Defaults to 5,000.
        n_test: test pairs. Defaults to 10,000.
        seed: the draw of the training pairs. Defaults to 0.
    """
    train = make_pairs(split.x_train, split.y_train, n_train, seed)
    val = make_pairs(split.x_val, split.y_val, n_val, 10_001)
    test = make_pairs(split.x_test, split.y_test, n_test, 10_002)
    return Split(train[0], train[1], val[0], val[1], test[0], test[1], tuple(range(10)))
