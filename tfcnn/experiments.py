"""One seeded MNIST-style classification run, recorded every N iterations."""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from tfcnn.callbacks import IterationLogger
from tfcnn.data import load_dataset, stratified_indices, train_val_split
from tfcnn.data.pipeline import to_float
from tfcnn.training import compile_classifier, fit_iterations


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
    callbacks=(),
    verbose: int = 1,
) -> dict:
    """Compiles and trains `model`, evaluating train/val/test every `record_every` steps.

    "train" metrics are measured on a fixed stratified sample of
    `train_eval_size` training images (the same at every record). With
    `cosine_decay` the learning rate decays to 0 over the run.

    Returns:
        A dict with `history` (one row per record), `final` (the last row),
        `params` and `train_seconds`.
    """
    per_class = max(1, train_eval_size // len(split.class_names))
    sample = stratified_indices(split.y_train, per_class, seed)
    logger = IterationLogger(
        {
            "train": (split.x_train[sample], split.y_train[sample]),
            "val": (split.x_val, split.y_val),
            "test": (split.x_test, split.y_test),
        },
        every=record_every,
        verbose=verbose,
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


def _spe(record_every: int) -> int:
    return 10 if record_every % 10 == 0 else 1
