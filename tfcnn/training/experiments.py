"""One seeded MNIST-style classification run, recorded every N iterations."""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from tfcnn.data import load_dataset, stratified_indices, train_val_split
from tfcnn.data.pairs import make_pairs
from tfcnn.data.pipeline import to_float
from tfcnn.training.callbacks import IterationLogger
from tfcnn.training.fit import compile_classifier, fit_iterations


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
        split: a `tfcnn.training.experiments.Split` of single digits.
        n_train: training pairs.
        n_val: validation pairs. Defaults to 5,000.
        n_test: test pairs. Defaults to 10,000.
        seed: the draw of the training pairs. Defaults to 0.
    """
    train = make_pairs(split.x_train, split.y_train, n_train, seed)
    val = make_pairs(split.x_val, split.y_val, n_val, 10_001)
    test = make_pairs(split.x_test, split.y_test, n_test, 10_002)
    return Split(train[0], train[1], val[0], val[1], test[0], test[1], tuple(range(10)))


def train_and_record(
    model,
    split: Split,
    *,
    iterations: int,
    batch_size: int = 50,
    optimizer: str = "adam",
    learning_rate: float = 1e-4,
    cosine_decay: bool = False,
    record_every: int = 500,
    seed: int = 0,
    train_eval_size: int = 2000,
    evaluate_fn=None,
    callbacks=(),
    verbose: int = 1,
) -> dict:
    """Compiles and trains `model`, evaluating train/val/test every `record_every` steps.

    "train" metrics are measured on a fixed sample of `train_eval_size`
    training images (stratified where it can be; the same at every record;
    all of them when there are fewer); "val" is skipped when the split has none. With
    `cosine_decay` the learning rate decays to 0 over the run. `evaluate_fn`
    is the logger's (default: accuracy and cross-entropy).

    Returns:
        A dict with `history` (one row per record), `final` (the last row),
        `params` and `train_seconds`.
    """
    sample = _train_sample(split, train_eval_size, seed)
    eval_data = {
        "train": (split.x_train[sample], split.y_train[sample]),
        "val": (split.x_val, split.y_val),
        "test": (split.x_test, split.y_test),
    }
    if not len(split.y_val):
        del eval_data["val"]
    logger = IterationLogger(
        eval_data, every=record_every, evaluate_fn=evaluate_fn, verbose=verbose
    )
    compile_classifier(
        model,
        optimizer,
        learning_rate,
        steps_per_execution=_spe(record_every),
        decay_steps=iterations if cosine_decay else None,
    )
    started = time.perf_counter()
    fit_iterations(
        model,
        split.x_train,
        split.y_train,
        iterations=iterations,
        batch_size=batch_size,
        seed=seed,
        chunk=record_every,
        callbacks=[logger, *callbacks],
    )
    return {
        "params": int(model.count_params()),
        "history": logger.history,
        "final": logger.history[-1],
        "train_seconds": logger.history[-1]["train_seconds"],
        "wall_seconds": time.perf_counter() - started,
    }


def _train_sample(split: Split, size: int, seed: int) -> np.ndarray:
    """A fixed stratified sample of `size` training examples, or a random one
    when the labels are not single classes or a class is too rare; all of
    them when there are no more than `size`."""
    n = len(split.y_train)
    if size >= n:
        return np.arange(n)
    per_class = max(1, size // len(split.class_names))
    if split.y_train.ndim == 1 and np.bincount(split.y_train).min() >= per_class:
        return stratified_indices(split.y_train, per_class, seed)
    return np.sort(np.random.default_rng(seed).permutation(n)[:size])


def _spe(record_every: int) -> int:
    return 10 if record_every % 10 == 0 else 1
