"""Epoch-based training on NumPy arrays, recorded after every epoch, on any Keras backend.

`tfcnn.training.fit.fit_iterations` streams batches through `tf.data`, which only the
TensorFlow backend can consume. The helpers here feed NumPy arrays straight to
`model.fit` (or, with augmentation, a `tfcnn.data.array_augment.AugmentedBatches`), so the
same code runs with `KERAS_BACKEND=tensorflow` or `torch`.
Training time is measured without the evaluation passes, as wall time and as
CPU time (the fair measure on a shared machine), so it compares batch sizes.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import keras
import numpy as np

from tfcnn.data import stratified_indices
from tfcnn.data.array_augment import AugmentedBatches
from tfcnn.training.callbacks import IterationLogger
from tfcnn.training.callbacks.iteration_logger import log_softmax
from tfcnn.training.fit import make_optimizer


class EpochClock(keras.callbacks.Callback):
    """Wall and CPU seconds of each epoch's training, up to the end of its last batch.

    Put it before any callback that evaluates at the end of an epoch: its
    `on_train_batch_end` then runs first, so evaluation is not counted. CPU
    time (of this process, all threads) measures the work done whatever else
    the machine runs; wall time also counts waiting for a busy CPU.

    Args:
        updates_per_epoch: batches in an epoch.
    """

    def __init__(self, updates_per_epoch: int):
        super().__init__()
        self.updates_per_epoch = updates_per_epoch
        self.wall_seconds: list[float] = []
        self.cpu_seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def on_train_batch_end(self, batch, logs=None):
        if batch + 1 == self.updates_per_epoch:
            self.wall_seconds.append(time.perf_counter() - self._wall)
            self.cpu_seconds.append(time.process_time() - self._cpu)


def train_epochs(
    model: keras.Model,
    split,
    *,
    epochs: int,
    batch_size: int,
    optimizer: str = "adam",
    learning_rate: float = 1e-3,
    train_eval_size: int = 10_000,
    seed: int = 0,
    checkpoint_dir: Path | None = None,
    max_shift: int = 0,
    flip: bool = False,
    weight_decay: float = 0.0,
    cosine_decay: bool = False,
    augment_seed: int = 0,
    verbose: int = 1,
) -> dict:
    """Compiles `model` and trains it for `epochs` passes over `split.x_train`.

    After every epoch, accuracy and mean cross-entropy are measured on a fixed
    stratified sample of the training set ("train", the same images every
    epoch) and on the validation set ("val"). The test set is not touched.

    Args:
        model: a logit-output model (uncompiled).
        split: a `tfcnn.training.experiments.Split`.
        epochs: passes over the training set.
        batch_size: examples per update; the last batch of an epoch is smaller
            when it does not divide the training set.
        optimizer: "adam", "sgd" or "rmsprop". Defaults to "adam".
        learning_rate: defaults to 1e-3.
        train_eval_size: training images in the "train" sample. Defaults to 10,000.
        seed: seed of the sample. The weights and the shuffling follow the
            global seed (call `tfcnn.set_seed` first). Defaults to 0.
        checkpoint_dir: if given, the weights after epoch e are saved as
            `<checkpoint_dir>/epoch<e>.weights.h5`. Defaults to None.
        max_shift: shift each training image by up to this many pixels along
            each axis, anew every epoch (`tfcnn.data.array_augment.shift_and_flip`).
            Defaults to 0 (no shift).
        flip: mirror a random half of the training images every epoch.
            Defaults to False.
        weight_decay: decoupled weight decay of the optimiser (each step
            multiplies the weights by 1 - learning_rate * weight_decay).
            Defaults to 0.
        cosine_decay: decay the learning rate to 0 over the run along a
            cosine. Defaults to False (constant).
        augment_seed: seed of the shuffling and the augmentation when
            `max_shift` or `flip` is set (otherwise Keras shuffles, following
            the global seed). Defaults to 0.
        verbose: one line per epoch. Defaults to 1.

    Returns:
        `history` (one record per epoch: `epoch` counted from 1, `iteration`,
        `train_*` and `val_*` metrics, cumulative `train_seconds`),
        `epoch_seconds` and `epoch_cpu_seconds` (wall and CPU time of each
        epoch's training, evaluation excluded), `updates_per_epoch`,
        `params` and `wall_seconds`.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}.")
    n_train = len(split.x_train)
    if not 1 <= batch_size <= n_train:
        raise ValueError(
            f"batch_size must be in [1, {n_train}] (the training set), got {batch_size}."
        )
    per_class = max(1, min(train_eval_size, n_train) // len(split.class_names))
    sample = stratified_indices(split.y_train, per_class, seed)
    updates = math.ceil(n_train / batch_size)
    logger = IterationLogger(
        {
            "train": (split.x_train[sample], split.y_train[sample]),
            "val": (split.x_val, split.y_val),
        },
        every=updates,
        verbose=verbose,
    )
    clock = EpochClock(updates)
    callbacks = [clock, logger]
    if checkpoint_dir is not None:
        Path(checkpoint_dir).mkdir(parents=True, exist_ok=True)
        callbacks.append(
            keras.callbacks.ModelCheckpoint(
                str(Path(checkpoint_dir) / "epoch{epoch}.weights.h5"),
                save_weights_only=True,
            )
        )
    model.compile(
        optimizer=make_optimizer(
            optimizer,
            learning_rate,
            decay_steps=epochs * updates if cosine_decay else None,
            **({"weight_decay": weight_decay} if weight_decay else {}),
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    if max_shift or flip:
        data = {
            "x": AugmentedBatches(
                split.x_train, split.y_train, batch_size, max_shift, flip, augment_seed
            )
        }
    else:
        data = {"x": split.x_train, "y": split.y_train, "batch_size": batch_size}
    started = time.perf_counter()
    model.fit(**data, epochs=epochs, shuffle=True, verbose=0, callbacks=callbacks)
    # A diverged run has NaN losses; JSON has no NaN, so they become None.
    history = [
        {**{k: _finite_or_none(v) for k, v in row.items()}, "epoch": row["epoch"] + 1}
        for row in logger.history
    ]
    return {
        "history": history,
        "epoch_seconds": clock.wall_seconds,
        "epoch_cpu_seconds": clock.cpu_seconds,
        "updates_per_epoch": updates,
        "params": int(model.count_params()),
        "wall_seconds": time.perf_counter() - started,
    }


def steady_epoch_seconds(run: dict, clock: str = "cpu") -> float | None:
    """Mean training seconds of epochs 2..E of a `train_epochs` run (epoch 1 also traces).

    Args:
        run: the dict returned by `train_epochs` (or read back from JSON).
        clock: "cpu" (`epoch_cpu_seconds`; None if the run has none) or
            "wall" (`epoch_seconds`). Defaults to "cpu".
    """
    if clock not in ("cpu", "wall"):
        raise ValueError(f"clock must be 'cpu' or 'wall', got {clock!r}.")
    seconds = run.get("epoch_cpu_seconds" if clock == "cpu" else "epoch_seconds")
    if not seconds:
        return None
    return float(np.mean(seconds[1:] if len(seconds) > 1 else seconds))


def _finite_or_none(value):
    return None if isinstance(value, float) and not math.isfinite(value) else value


def best_epoch(histories: list[list[dict]], key: str = "val_accuracy") -> int:
    """The epoch (counted from 1) whose seed-mean `key` is highest.

    Args:
        histories: one `train_epochs` history per seed, of equal length.
        key: the validation metric to maximise. Defaults to "val_accuracy".
    """
    values = np.array(
        [[row[key] for row in history] for history in histories], dtype=float
    )
    return int(np.nanargmax(values.mean(axis=0))) + 1


def predict_probabilities(model: keras.Model, x, batch_size: int = 1000) -> np.ndarray:
    """Softmax probabilities (float64) of a logit-output model, on any backend."""
    logits = np.asarray(
        model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64
    )
    return np.exp(log_softmax(logits))


def accuracy_and_loss(probabilities: np.ndarray, labels) -> dict:
    """Accuracy and mean cross-entropy from predicted probabilities."""
    labels = np.asarray(labels).reshape(-1).astype(int)
    picked = probabilities[np.arange(len(labels)), labels]
    return {
        "accuracy": float((probabilities.argmax(axis=1) == labels).mean()),
        "loss": float(-np.log(np.clip(picked, 1e-300, None)).mean()),
    }
